/**
 * Random requests against the operator API (fast-check): methods, paths, headers and bodies,
 * with and without a valid operator token, against the real rules service (YAML parsing,
 * validation, apply). No request may get a 5xx or take the server down.
 */
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpApi } from "../../src/api/http.ts";
import { RulesService } from "../../src/rules-service.ts";
import { ALERT, bearer, fakeBackend, raw, startApi } from "../helpers/api.ts";
import { tempDir } from "../helpers/servers.ts";

const log = pino({ level: "silent" });

describe("operator API fuzz", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let api: HttpApi;
  let token = "";

  beforeAll(async () => {
    dir = await tempDir();
    const rules = new RulesService(join(dir.path, "rules.json"), async () => {}, log);
    await rules.load();
    const { backend } = fakeBackend();
    backend.rules = () => ({ version: rules.version, yaml: rules.yaml });
    backend.validateRules = (yaml) => rules.validate(yaml);
    backend.applyRules = (yaml) => rules.apply(yaml);
    let tokens;
    ({ api, tokens } = await startApi(dir.path, backend, { log }));
    token = (await tokens.add("fuzz-operator", "operator")).token;
  });

  afterAll(async () => {
    await api?.stop();
    await dir?.remove();
  });

  it("never answers 5xx and keeps serving", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND");
    const segment = fc.oneof(
      fc.constantFrom("alerts", "rules", "validate", "ack", "metrics", "healthz", "..", ".", "", encodeURIComponent(ALERT.id), "%", "%E0%A4%A", "%00", "%2F"),
      fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
    );
    const path = fc.oneof(
      fc.constantFrom("/alerts", "/rules", "/rules/validate", "/metrics", "/healthz", `/alerts/${encodeURIComponent(ALERT.id)}/ack`, "/alerts/%E0%A4%A/ack", "/alerts//ack"),
      fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => "/" + s.join("/")),
      fc.tuple(fc.constantFrom("/rules", "/alerts", "/"), fc.string({ maxLength: 20 })).map(([p, q]) => `${p}?${encodeURIComponent(q)}`),
    );
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${token}`),
      fc.constant(`bearer  ${token}`),
      fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
      fc.string({ maxLength: 60 }).map((s) => `Bearer flp_${s.replace(/[^\x21-\x7e]/g, "")}`),
      fc.constant(`Bearer ${token.slice(0, 21)}${"x".repeat(43)}`),
    );
    const contentType = fc.constantFrom(undefined, "application/json", "text/yaml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x");
    const body = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom(
        '{"by": 5}', '{"by": null}', "null", "[]", '{"by": "' + "x".repeat(500) + '"}',
        "rules:\n  - id: hot\n    when:\n      threshold: { sensor: temp, above: 50 }\n",
        "rules: [", "rules:\n  - id: &a x\n    when: *a\n", "- - - -", "\u0000\u0001", "rules: !!binary AAAA",
      ),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    );
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(method, path, auth, contentType, body, async (m, p, a, ct, b) => {
        const headers: Record<string, string> = {};
        if (a !== undefined) headers.authorization = a;
        if (ct !== undefined) headers["content-type"] = ct;
        const res = await raw(api.url, { method: m, path: p, headers, body: m === "GET" || m === "HEAD" ? undefined : b });
        requests++;
        expect(res.status, `${m} ${p} -> ${res.status} ${res.body}`).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 400, seed: Number(process.env.FL_FUZZ_SEED ?? 20261204) },
    );
    expect(requests).toBe(400);
    // A body over the limit is refused with 413, not read into memory.
    const big = await raw(api.url, { method: "PUT", path: "/rules", headers: bearer(token), body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
    expect(big.status).toBe(413);
    // Still serving.
    expect((await raw(api.url, { path: "/rules", headers: bearer(token) })).status).toBe(200);
  }, 120_000);
});
