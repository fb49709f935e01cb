import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { configReference } from "../../src/config-doc.ts";

describe("config", () => {
  it("fills defaults: file sink, fixed client id", () => {
    const c = parseConfig({});
    expect(c.sink).toEqual({ type: "file", path: "data/points.lp", fsync: true });
    expect(c.mqtt.clientId).toBe("fieldline-processor");
    expect(c.writer.maxBufferedPoints).toBe(200_000);
  });

  it("reports every error at once with its path", () => {
    let err: unknown;
    try {
      parseConfig({ mqtt: { keepaliveS: -1, clientId: "has space" }, sink: { type: "influxdb-v1" }, http: { port: "x" }, extra: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.join("\n");
    expect(issues).toMatch(/mqtt\.keepaliveS/);
    expect(issues).toMatch(/mqtt\.clientId/);
    expect(issues).toMatch(/sink\.url/);
    expect(issues).toMatch(/http\.port/);
    expect(issues).toMatch(/extra/);
    expect((err as ConfigError).issues.length).toBeGreaterThanOrEqual(5);
  });

  it("picks a sink by type", () => {
    const c = parseConfig({ sink: { type: "influxdb", url: "http://127.0.0.1:8086", token: "t" } });
    expect(c.sink).toMatchObject({ type: "influxdb", org: "fieldline", bucket: "telemetry" });
  });

  it("generates the reference table from the schema", () => {
    const ref = configReference();
    expect(ref).toMatch(/\| `writer.maxBufferedPoints` \| number \| `200000` \|/);
    expect(ref).toMatch(/\| influxdb-v1 \| `database` \|/);
  });
});

describe("config environment expansion", () => {
  it("expands ${NAME} and ${NAME:-default}; reports unset names with their path", async () => {
    const { expandEnv } = await import("../../src/config.ts");
    const missing: string[] = [];
    const doc = expandEnv({ sink: { token: "${TOK}", url: "http://${HOST:-influxdb}:8086" }, mqtt: { password: "${NOPE}" } }, { TOK: "t1" }, "", missing);
    expect(doc).toEqual({ sink: { token: "t1", url: "http://influxdb:8086" }, mqtt: { password: "" } });
    expect(missing).toEqual(["mqtt.password: environment variable NOPE is not set"]);
  });
});

describe("processor.example.yaml", () => {
  it("is a valid configuration", async () => {
    const { loadConfig } = await import("../../src/config.ts");
    const path = new URL("../../processor.example.yaml", import.meta.url).pathname;
    const c = await loadConfig(path, { FIELDLINE_PROCESSOR_PASSWORD: "p", INFLUXDB_TOKEN: "t" });
    expect(c.sink).toMatchObject({ type: "influxdb", token: "t" });
    expect(c.mqtt.password).toBe("p");
  });
});

describe("README", () => {
  it("has the configuration table generated from the schema", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const block = /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme)?.[1];
    expect(block).toBe(configReference());
  });
});

describe("unknown keys at any depth", () => {
  it("rejects a misspelt key inside a section, naming its path", () => {
    for (const [cfg, path] of [
      [{ writer: { maxBatchPonts: 10 } }, "writer"],
      [{ detection: { enabeld: false } }, "detection"],
      [{ rules: { reorderMS: 10 } }, "rules"],
      [{ mqtt: { usrname: "x" } }, "mqtt"],
      [{ sink: { type: "file", fsnyc: true } }, "sink"],
      [{ log: { levl: "info" } }, "log"],
    ] as const) {
      expect(() => parseConfig(cfg), JSON.stringify(cfg)).toThrow(new RegExp(`${path}.*(${Object.keys(Object.values(cfg)[0]!).filter((k) => k !== "type").join("|")})`, "s"));
    }
  });
});
