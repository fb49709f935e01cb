import { existsSync } from "node:fs";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, startAedes, startInfluxV1, startRedis, startVictoria, tempDir, tempDirSync, until, waitHttp } from "../src/index.ts";

describe("test-support", () => {
  it("freePort gives distinct bindable loopback ports", async () => {
    const a = await freePort();
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(65536);
  });

  it("temp dirs are made and removed", async () => {
    const d = await tempDir("fl-ts-");
    expect(existsSync(d.path)).toBe(true);
    await d.remove();
    expect(existsSync(d.path)).toBe(false);
    const s = tempDirSync("fl-ts-");
    expect(existsSync(s.path)).toBe(true);
    s.remove();
    expect(existsSync(s.path)).toBe(false);
  });

  it("until resolves on a true condition and names what timed out", async () => {
    let n = 0;
    await until(() => ++n > 3, 1000);
    expect(n).toBe(4);
    await expect(until(() => false, 30, "nothing")).rejects.toThrow(/nothing/);
  });

  it("Aedes accepts a TCP connection on its port", async () => {
    const b = await startAedes();
    expect(b.url).toBe(`mqtt://127.0.0.1:${b.port}`);
    const sock = connect(b.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    sock.destroy();
    await b.close();
  });

  it("redis-server answers PING and its temp dir goes on close", async () => {
    const r = await startRedis();
    expect(r.url).toBe(`redis://127.0.0.1:${r.port}`);
    await r.close();
    expect(existsSync(r.dir)).toBe(false);
  });

  it("VictoriaMetrics stops, restarts on the same port, and keeps a given dir on close", async () => {
    const dir = await tempDir("fl-ts-vm-");
    const vm = await startVictoria({ dir: dir.path, dedup: true });
    await vm.stop();
    await vm.restart();
    await waitHttp(`${vm.url}/health`);
    await vm.close();
    expect(existsSync(dir.path)).toBe(true);
    await dir.remove();
  });

  it("influxd creates the database", async () => {
    const influx = await startInfluxV1({ db: "tsdb" });
    const res = await fetch(`${influx.url}/query?q=${encodeURIComponent("SHOW DATABASES")}`);
    expect(JSON.stringify(await res.json())).toContain("tsdb");
    await influx.close();
  });
});
