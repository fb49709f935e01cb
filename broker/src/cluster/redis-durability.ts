/**
 * Checks at start that the Redis holding sessions and queues persists what it acknowledges:
 * `appendonly yes` with `appendfsync always` (a write is fsynced before Redis replies) or
 * `everysec` (written to the kernel before the reply, so a killed Redis loses nothing; a power
 * cut can lose the last second or two). RDB snapshots alone, or `appendfsync no`, can lose
 * minutes of acknowledged messages. Speaks just enough RESP for AUTH and CONFIG GET.
 */
import { connect } from "node:net";

export interface RedisDurability {
  appendonly: string;
  appendfsync: string;
  /** Empty when the settings keep what Redis acknowledges; otherwise what is wrong. */
  problems: string[];
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Parses one RESP reply from `buf` at `at`; undefined when incomplete. */
function parse(buf: string, at = 0): { value: unknown; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const type = buf[at];
  const line = buf.slice(at + 1, eol);
  if (type === "+" || type === ":") return { value: line, end: eol + 2 };
  if (type === "-") return { value: new Error(line), end: eol + 2 };
  if (type === "$") {
    const n = Number(line);
    if (n < 0) return { value: null, end: eol + 2 };
    if (buf.length < eol + 2 + n + 2) return undefined;
    return { value: buf.slice(eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
  }
  if (type === "*") {
    const items: unknown[] = [];
    let end = eol + 2;
    for (let i = 0; i < Number(line); i++) {
      const r = parse(buf, end);
      if (!r) return undefined;
      items.push(r.value);
      end = r.end;
    }
    return { value: items, end };
  }
  return { value: new Error(`unexpected reply ${JSON.stringify(buf.slice(at, at + 20))}`), end: buf.length };
}

/** Sends commands in one write and resolves with their replies, in order. */
function ask(url: string, commands: string[][], timeoutMs: number): Promise<unknown[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    const timer = setTimeout(() => s.destroy(new Error(`no answer from ${u.host} within ${timeoutMs} ms`)), timeoutMs);
    let data = "";
    s.setEncoding("utf8");
    s.once("connect", () => s.write(commands.map((c) => command(...c)).join("")));
    s.on("data", (d: string) => {
      data += d;
      const replies: unknown[] = [];
      let at = 0;
      for (let i = 0; i < commands.length; i++) {
        const r = parse(data, at);
        if (!r) return;
        replies.push(r.value);
        at = r.end;
      }
      clearTimeout(timer);
      s.end();
      resolve(replies);
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function checkRedisDurability(url: string, timeoutMs = 5000): Promise<RedisDurability> {
  const u = new URL(url);
  const auth: string[][] = [];
  if (u.password) auth.push(u.username ? ["AUTH", decodeURIComponent(u.username), decodeURIComponent(u.password)] : ["AUTH", decodeURIComponent(u.password)]);
  if (u.pathname.length > 1) auth.push(["SELECT", u.pathname.slice(1)]);
  const replies = await ask(url, [...auth, ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "appendfsync"]], timeoutMs);
  const err = replies.find((r): r is Error => r instanceof Error);
  if (err) throw new Error(`redis: ${err.message}`);
  const value = (r: unknown) => (Array.isArray(r) && typeof r[1] === "string" ? r[1] : "unknown");
  const appendonly = value(replies.at(-2));
  const appendfsync = value(replies.at(-1));
  const problems: string[] = [];
  if (appendonly !== "yes") problems.push(`appendonly is ${appendonly}: messages acknowledged since the last RDB snapshot are lost if Redis stops (need appendonly yes)`);
  if (!["always", "everysec"].includes(appendfsync)) problems.push(`appendfsync is ${appendfsync}: need always (nothing acknowledged lost) or everysec (up to about a second lost on a power cut)`);
  return { appendonly, appendfsync, problems };
}
