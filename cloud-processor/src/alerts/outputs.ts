/**
 * Where alert transitions go: MQTT (the active set retained per (rule, device); a cleared
 * alert is published once and its retained message removed) and storage (a JSONL history in
 * the data dir, which also rebuilds the active set at start, plus a point in the sink).
 */
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { encodePayload, topics, type Alert } from "@fieldline/firmware-contracts";
import type { Point } from "../sinks/sink.ts";

export interface AlertOutput {
  emit(alert: Alert): Promise<void>;
}

export type Publish = (topic: string, payload: Uint8Array, opts: { retain: boolean }) => Promise<void>;

export class MqttAlertOutput implements AlertOutput {
  constructor(private readonly publish: Publish) {}

  async emit(alert: Alert): Promise<void> {
    const topic = topics.alert({ site: alert.site, device: alert.device }, alert.rule);
    const payload = encodePayload("alerts", alert);
    if (alert.state === "cleared") {
      await this.publish(topic, payload, { retain: false });
      // A zero-byte retained message removes the retained alert (MQTT-3.3.1-10).
      await this.publish(topic, new Uint8Array(0), { retain: true });
    } else {
      await this.publish(topic, payload, { retain: true });
    }
  }
}

const STATE_CODE = { raised: 1, updated: 2, acknowledged: 3, cleared: 0 } as const;
const SEVERITY_CODE = { info: 1, warning: 2, critical: 3 } as const;

/** The alert as a point: measurement `alerts`, tags site/device/rule/state. */
export function alertPoint(a: Alert): Point {
  const fields: Record<string, number> = { state: STATE_CODE[a.state], severity: SEVERITY_CODE[a.severity], raisedAt: a.raisedAt };
  if (a.value !== undefined && Number.isFinite(a.value)) fields.value = a.value;
  if (a.score !== undefined) fields.score = a.score;
  return { measurement: "alerts", tags: { site: a.site, device: a.device, rule: a.rule, state: a.state }, fields, t: a.t };
}

export class SinkAlertOutput implements AlertOutput {
  constructor(private readonly write: (points: Point[]) => Promise<void>) {}
  emit(alert: Alert): Promise<void> {
    return this.write([alertPoint(alert)]);
  }
}

/** Append-only JSONL history of every alert transition. */
export class AlertHistory implements AlertOutput {
  private fh: FileHandle | undefined;

  constructor(readonly path: string) {}

  async start(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.fh = await open(this.path, "a");
  }

  async emit(alert: Alert): Promise<void> {
    if (!this.fh) throw new Error("alert history is not started");
    await this.fh.appendFile(JSON.stringify(alert) + "\n");
  }

  /** The latest record of each alert id that is not cleared: the active set to restore. */
  async active(): Promise<Alert[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const last = new Map<string, Alert>();
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const a = JSON.parse(line) as Alert;
        last.set(`${a.rule}\u0000${a.device}`, a);
      } catch {
        // A torn last line after a crash: ignore it.
      }
    }
    return [...last.values()].filter((a) => a.state !== "cleared");
  }

  async stop(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
