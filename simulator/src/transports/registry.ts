/** Transport type -> constructor. The spec's `transport.type` picks one; nothing else switches on it. */
import path from "node:path";
import type { TransportSpec } from "../spec/transports";
import { MemoryTransport } from "./memory";
import { MqttTransport } from "./mqtt";
import { SerialTransport } from "./serial";
import type { Transport } from "./transport";

type Factory<T extends TransportSpec["type"]> = (spec: Extract<TransportSpec, { type: T }>, baseDir: string) => Transport;

export const transports: { [T in TransportSpec["type"]]: Factory<T> } = {
  mqtt: (spec, baseDir) =>
    new MqttTransport(spec.credentialsFile ? { ...spec, credentialsFile: path.resolve(baseDir, spec.credentialsFile) } : spec),
  serial: (spec, baseDir) => new SerialTransport(spec.dir ? { ...spec, dir: path.resolve(baseDir, spec.dir) } : spec),
  none: () => new MemoryTransport({ keep: false }),
};

export function createTransport(spec: TransportSpec, baseDir = "."): Transport {
  const factory = transports[spec.type] as Factory<typeof spec.type>;
  return factory(spec as never, baseDir);
}
