/** Real servers for tests: Aedes on TCP, influxd 1.6 and VictoriaMetrics on random loopback ports. */
import { startInfluxV1 as startInflux, startVictoria as startVm, tempDir as makeTempDir, type ServerProcess, type TempDir } from "@fieldline/test-support";

export { freePort, influxQuery, vmExport, type VmSeries } from "@fieldline/test-support";
export { startAedes as startBroker, type AedesServer as TestBroker } from "@fieldline/test-support";

export type DbServer = ServerProcess;

export function tempDir(prefix = "fl-proc-"): Promise<TempDir> {
  return makeTempDir(prefix);
}

/** influxd 1.6 with database `db` created. */
export function startInfluxV1(db = "fieldline"): Promise<DbServer> {
  return startInflux({ db, prefix: "fl-influxd-" });
}

/** VictoriaMetrics overwriting same series and timestamp, as InfluxDB does (redelivery must not double). */
export function startVictoria(): Promise<DbServer> {
  return startVm({ dedup: true, prefix: "fl-vm-" });
}
