/**
 * authenticate: username + secret against the registry (scrypt), or a verified TLS client
 * certificate whose CN names the identity. Enforces client id rules, failed-login throttling,
 * connections per identity and the persistent-session limit.
 */
import type { AuthenticateError, Client } from "aedes";
import { TLSSocket } from "node:tls";
import { compileAcl, type ClientAcl } from "../acl/acl.ts";
import type { IdentityRecord } from "../registry/types.ts";
import type { HookContext } from "./context.ts";

type Done = (err: AuthenticateError | null, ok: boolean | null) => void;

// MQTT 3.1.1 CONNACK return codes (3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

function reject(code: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** CN of a client certificate the TLS layer verified against the configured CA, if any. */
function verifiedCertName(client: Client): string | undefined {
  const conn = client.conn;
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined;
  const cn = conn.getPeerCertificate()?.subject?.CN;
  return typeof cn === "string" ? cn : undefined;
}

export function makeAuthenticate(ctx: HookContext) {
  // One compiled ACL per identity record (a reload makes new records, so edits take effect).
  const acls = new WeakMap<IdentityRecord, ClientAcl>();
  function aclFor(identity: IdentityRecord): ClientAcl {
    let acl = acls.get(identity);
    if (!acl) acls.set(identity, (acl = compileAcl(identity)));
    return acl;
  }

  async function check(client: Client, username: string | undefined, password: Buffer | undefined): Promise<IdentityRecord> {
    const info = ctx.connecting.get(client);
    ctx.connecting.delete(client);
    const address = info?.address ?? "unknown";
    // MQTT-3.1.3-8: a zero-length client id with CleanSession=0 gets return code 0x02.
    if (info?.emptyId && !info.clean) throw reject(IDENTIFIER_REJECTED, "empty client id needs a clean session");

    const certName = verifiedCertName(client);
    const name = username ?? certName;
    if (!name) throw reject(BAD_CREDENTIALS, "no username");
    await ctx.registry.refresh();
    // Registered names are throttled only by their own failures, never by their address's.
    const record = ctx.registry.get(name);
    const known = record !== undefined && !record.revokedAt;
    const blocked = ctx.throttle.blocked(name, address, known);
    if (blocked) {
      ctx.metrics.connects.inc({ result: `throttled-${blocked}` });
      throw reject(NOT_AUTHORIZED, `too many failed logins for this ${blocked}`);
    }
    let identity: IdentityRecord | undefined;
    if (password !== undefined) identity = await ctx.registry.verify(name, password);
    else if (certName === name) {
      const rec = ctx.registry.get(name);
      identity = rec && !rec.revokedAt ? rec : undefined;
    }
    if (!identity) {
      ctx.throttle.failed(name, address, known);
      ctx.metrics.connects.inc({ result: "bad-credentials" });
      throw reject(BAD_CREDENTIALS, "bad username or password");
    }
    ctx.throttle.succeeded(name);
    if (certName !== undefined && certName !== identity.username) {
      ctx.metrics.connects.inc({ result: "certificate-mismatch" });
      throw reject(NOT_AUTHORIZED, "client certificate names another identity");
    }
    // A device's client id must be its device id, so one device cannot pose as another.
    if (identity.role === "device" && client.id !== identity.device) {
      ctx.metrics.connects.inc({ result: "client-id-mismatch" });
      throw reject(IDENTIFIER_REJECTED, "a device's client id must be its device id");
    }
    if (!client.clean) {
      const known = ctx.persistentSessions.has(client.id);
      if (!known && ctx.persistentSessions.size >= ctx.limits.maxPersistentSessions) {
        ctx.metrics.connects.inc({ result: "session-limit" });
        throw reject(SERVER_UNAVAILABLE, "persistent session limit reached");
      }
    }
    if (!ctx.connections.admit(identity.username, client.conn, client.id)) {
      ctx.metrics.connects.inc({ result: "connection-limit" });
      throw reject(NOT_AUTHORIZED, "too many connections for this identity");
    }
    return identity;
  }

  return function authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: Done): void {
    check(client, username, password).then(
      (identity) => {
        if (client.clean) ctx.persistentSessions.delete(client.id);
        else ctx.persistentSessions.add(client.id);
        ctx.clients.set(client, { identity, acl: aclFor(identity) });
        client.conn.once("close", () => ctx.connections.release(identity.username, client.conn));
        ctx.metrics.connects.inc({ result: "ok" });
        done(null, true);
      },
      (err: AuthenticateError) => {
        if (err.returnCode === undefined) {
          ctx.log.error({ err }, "authentication failed unexpectedly");
          err.returnCode = SERVER_UNAVAILABLE;
        }
        ctx.log.info({ client: client.id, username, code: err.returnCode, reason: err.message }, "connect refused");
        done(err, false);
      },
    );
  };
}
