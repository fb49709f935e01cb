export { freePort } from "./ports.ts";
export { tempDir, tempDirSync, type TempDir, type TempDirSync } from "./temp.ts";
export { sleep, until, waitHttp } from "./wait.ts";
export { startServerProcess, stopProcess, type Launcher, type ServerOptions, type ServerProcess } from "./process.ts";
export { startAedes, type AedesServer } from "./aedes.ts";
export { flushVictoria, startVictoria, vmExport, type VictoriaOptions, type VmSeries } from "./victoria-metrics.ts";
export { influxPost, influxQuery, startInfluxV1, type InfluxOptions } from "./influxd.ts";
export { startRedis } from "./redis.ts";
export { seededRandom } from "./random.ts";
