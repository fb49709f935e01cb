/**
 * Operators' rules in the cloud: one Evaluator from @fieldline/rules over every device's
 * readings, turning transitions whose actions include `alert` into alert signals. Applying
 * new rules validates them first (every issue reported), keeps the evaluator's state where
 * the snapshot still fits, saves the YAML in the data dir and pushes it to every known
 * device as retained desired config. Devices' labels (from their `state` messages) resolve
 * label-scoped rules; a change of labels resolves that device's scopes again.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { encodePayload, topics } from "@fieldline/firmware-contracts";
import { Evaluator, RulesError, parseRules, type RulesIssue } from "@fieldline/rules";
import type { Logger } from "pino";
import type { AlertSignal } from "./alerts/signal.ts";
import { DeviceLabels, type Labels } from "./device-labels.ts";

type RuleSet = ReturnType<typeof parseRules>;
type Transition = ReturnType<Evaluator["push"]>[number];
type RuleReading = Parameters<Evaluator["push"]>[0];

export type Publish = (topic: string, payload: Uint8Array, opts: { retain: boolean }) => Promise<void>;

interface Saved {
  version: number;
  yaml: string;
}

export type ApplyResult = { ok: true; version: number; rules: number } | { ok: false; issues: RulesIssue[] };

export class RulesService {
  private evaluator: Evaluator | undefined;
  private rulesSet: RuleSet | undefined;
  private current: Saved = { version: 0, yaml: "" };
  private readonly sites = new Map<string, string>();
  private readonly labels = new DeviceLabels();
  /** The evaluator's device registry: labels as last reported. */
  private readonly evalOpts = { devices: (id: string) => this.labels.info(id) };

  constructor(
    private readonly dataPath: string,
    private readonly publish: Publish,
    private readonly log: Logger,
    /** Where the evaluator's state is checkpointed (so a rule that fired can still clear after a restart). */
    private readonly statePath = `${dataPath}.state`,
    /** Where devices' labels are checkpointed with it (so restored state meets the same scopes). */
    private readonly labelsPath = `${dataPath}.labels`,
  ) {}

  get version(): number {
    return this.current.version;
  }

  get yaml(): string {
    return this.current.yaml;
  }

  /** Loads the last applied rules, or `initialFile` when given. Bad rules fail the start. */
  async load(initialFile?: string): Promise<void> {
    await this.labels.load(this.labelsPath);
    if (initialFile) {
      const yaml = await readFile(initialFile, "utf8");
      const rules = parseRules(yaml, initialFile);
      let version = 1;
      const saved = await this.readSaved();
      if (saved) version = saved.yaml === yaml ? saved.version : saved.version + 1;
      this.install(rules, { version, yaml });
      await this.save();
      await this.restoreState();
      return;
    }
    const saved = await this.readSaved();
    if (saved) this.install(parseRules(saved.yaml, this.dataPath), saved);
    await this.restoreState();
  }

  /** Restores the evaluator's state from the last checkpoint, if it fits the rules. */
  private async restoreState(): Promise<void> {
    if (!this.rulesSet) return;
    let snap: Parameters<typeof Evaluator.restore>[1];
    try {
      snap = JSON.parse(await readFile(this.statePath, "utf8")) as typeof snap;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err: (err as Error).message }, "rules state unreadable; starting fresh");
      return;
    }
    try {
      this.evaluator = Evaluator.restore(this.rulesSet, snap, this.evalOpts);
      this.log.info({ path: this.statePath }, "rules state restored");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "rules state does not fit the rules; starting fresh");
    }
  }

  /** Saves devices' labels and the evaluator's state (temp file + rename each). */
  async checkpoint(): Promise<void> {
    if (this.labels.size > 0) await this.labels.save(this.labelsPath);
    if (!this.evaluator) return;
    await mkdir(dirname(this.statePath), { recursive: true });
    await writeFile(`${this.statePath}.tmp`, JSON.stringify(this.evaluator.snapshot()));
    await rename(`${this.statePath}.tmp`, this.statePath);
  }

  /** Checks rules without applying them. */
  validate(yaml: string): ApplyResult {
    try {
      const rs = parseRules(yaml, "rules.yaml");
      return { ok: true, version: this.current.version, rules: rs.rules.length };
    } catch (err) {
      if (err instanceof RulesError) return { ok: false, issues: err.issues };
      throw err;
    }
  }

  async apply(yaml: string): Promise<ApplyResult> {
    let rules: RuleSet;
    try {
      rules = parseRules(yaml, "rules.yaml");
    } catch (err) {
      if (err instanceof RulesError) return { ok: false, issues: err.issues };
      throw err;
    }
    this.install(rules, { version: this.current.version + 1, yaml });
    await this.save();
    await Promise.all([...this.sites].map(([device, site]) => this.pushTo(site, device)));
    this.log.info({ version: this.current.version, rules: rules.rules.length, devices: this.sites.size }, "rules applied");
    return { ok: true, version: this.current.version, rules: rules.rules.length };
  }

  /** A device seen for the first time gets the current desired config. */
  deviceSeen(site: string, device: string): void {
    this.sites.set(device, site);
    if (this.current.version > 0) {
      this.pushTo(site, device).catch((err: unknown) =>
        this.log.warn({ device, err: (err as Error).message }, "desired config publish failed"),
      );
    }
  }

  /**
   * A device reported its labels (its `state` message). When they changed, its rule scopes
   * are resolved again (`Evaluator.rescope`): rules still in scope keep their state, newly
   * matching rules start now, and a fired rule that no longer applies clears (its signal is
   * returned). A device not seen yet gets them when it first reports. `undefined` (a state
   * message without labels, such as the offline will) keeps the labels known.
   */
  deviceLabels(site: string, device: string, labels: Labels | undefined): AlertSignal[] {
    if (labels === undefined || !this.labels.set(device, labels)) return [];
    this.log.info({ site, device, labels }, "device labels changed");
    const tr = this.evaluator?.rescope(device) ?? [];
    return tr.length === 0 ? [] : this.signals(tr, site);
  }

  push(site: string, r: RuleReading): AlertSignal[] {
    if (!this.evaluator) return [];
    const tr = this.evaluator.push(r);
    return tr.length === 0 ? [] : this.signals(tr, site);
  }

  /** The evaluator's counters (readings skipped as late, duplicates, ...), if rules are loaded. */
  stats(): ReturnType<Evaluator["stats"]> | undefined {
    return this.evaluator?.stats();
  }

  /** Moves event time on (stale rules); `site` of each device is the one it was seen on. */
  advance(t: number): AlertSignal[] {
    if (!this.evaluator) return [];
    const tr = this.evaluator.advance(t);
    return tr.length === 0 ? [] : this.signals(tr);
  }

  private signals(tr: Transition[], site?: string): AlertSignal[] {
    const out: AlertSignal[] = [];
    for (const x of tr) {
      if (!x.actions.some((a) => a.type === "alert")) continue;
      const s = site ?? this.sites.get(x.device);
      if (s === undefined) continue;
      const last = x.cause[x.cause.length - 1];
      out.push({
        kind: x.kind === "fired" ? "fire" : "clear",
        rule: x.rule,
        site: s,
        device: x.device,
        t: x.t,
        severity: x.severity,
        message: x.message,
        value: last?.value,
      });
    }
    return out;
  }

  private install(rules: RuleSet, saved: Saved): void {
    const old = this.evaluator;
    let next: Evaluator | undefined;
    if (old) {
      try {
        next = Evaluator.restore(rules, old.snapshot(), this.evalOpts);
      } catch {
        next = undefined;
      }
    }
    this.evaluator = next ?? new Evaluator(rules, this.evalOpts);
    this.rulesSet = rules;
    this.current = saved;
  }

  private async pushTo(site: string, device: string): Promise<void> {
    const payload = encodePayload("desiredConfig", { v: 1, version: this.current.version, t: Date.now(), rules: this.current.yaml });
    await this.publish(topics.desiredConfig({ site, device }), payload, { retain: true });
  }

  private async readSaved(): Promise<Saved | undefined> {
    try {
      return JSON.parse(await readFile(this.dataPath, "utf8")) as Saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.dataPath), { recursive: true });
    await writeFile(`${this.dataPath}.tmp`, JSON.stringify(this.current));
    await rename(`${this.dataPath}.tmp`, this.dataPath);
  }
}
