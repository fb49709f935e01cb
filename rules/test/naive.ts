// A deliberately naive reference evaluator: it keeps every accepted reading and, on each
// call, recomputes each (rule, device) timeline from the full history (rates by scanning
// the history for the window, hysteresis by folding over all readings, stale expiries from
// the gaps, timers by a linear scan). It shares no evaluation code with src/ except the
// scope matcher and message renderer, so property tests use it as an oracle, and the
// benchmark runs it side by side. Each device's timeline runs up to its own latest reading
// or the latest tick, whichever is later.
import { renderMessage } from "../src/message.ts";
import { compileScope, exactIds } from "../src/scope.ts";
import type {
  Comparator,
  Condition,
  DeviceInfo,
  Reading,
  Rule,
  RuleSet,
  Transition,
} from "../src/types.ts";

type Leaf = Extract<Condition, { kind: "threshold" | "rate" | "stale" | "deadband" }>;

function leavesOf(c: Condition, out: Leaf[] = []): Leaf[] {
  if (c.kind === "all" || c.kind === "any") c.of.forEach((x) => leavesOf(x, out));
  else if (c.kind === "not") leavesOf(c.of, out);
  else out.push(c);
  return out;
}

function evalTree(c: Condition, vals: boolean[], next: { i: number }): boolean {
  switch (c.kind) {
    case "all": {
      const r = c.of.map((x) => evalTree(x, vals, next));
      return r.every(Boolean);
    }
    case "any": {
      const r = c.of.map((x) => evalTree(x, vals, next));
      return r.some(Boolean);
    }
    case "not":
      return !evalTree(c.of, vals, next);
    default:
      return vals[next.i++]!;
  }
}

function compare(c: Comparator, on: boolean, v: number): boolean {
  const level = on ? c.clear : c.level;
  if (c.op === "above") return v > (level as number);
  if (c.op === "below") return v < (level as number);
  const [lo, hi] = level as [number, number];
  return c.op === "outside" ? v < lo || v > hi : lo <= v && v <= hi;
}

const touches = (l: Leaf, r: Reading) =>
  (l.kind === "stale" && l.sensor === undefined) || l.sensor === r.sensor;

export class NaiveEvaluator {
  private readonly rules: Rule[];
  private readonly seenDevices: string[] = [];
  private readonly firstSeen = new Map<string, number>();
  private readonly history = new Map<string, Reading[]>();
  private readonly lastT = new Map<string, number>();
  private readonly emitted = new Map<string, number>();
  /** Latest tick, and each device's own event time (its latest reading). */
  private ticked = -Infinity;
  private readonly deviceNow = new Map<string, number>();
  private start: number | undefined;
  private readonly expected: string[];

  constructor(
    rules: RuleSet,
    private readonly opts: {
      devices?: (id: string) => DeviceInfo | undefined;
      expect?: string[];
      start?: number;
    } = {},
  ) {
    this.rules = rules.rules.filter((r) => r.enabled);
    this.expected = [
      ...new Set([...(opts.expect ?? []), ...this.rules.flatMap((r) => exactIds(r.scope))]),
    ];
    if (opts.start !== undefined) this.begin(opts.start);
  }

  private begin(t: number) {
    this.start = this.opts.start ?? t;
    for (const id of this.expected) this.see(id, this.start);
  }

  private see(id: string, t: number) {
    if (this.firstSeen.has(id)) return;
    this.firstSeen.set(id, t);
    this.seenDevices.push(id);
    this.history.set(id, []);
  }

  push(r: Reading): Transition[] {
    if (!Number.isFinite(r.t) || !Number.isFinite(r.value)) return [];
    if (this.start === undefined) this.begin(r.t);
    this.see(r.device, r.t);
    const key = `${r.device}\u0000${r.sensor}`;
    if (r.t <= (this.lastT.get(key) ?? -Infinity)) return [];
    this.lastT.set(key, r.t);
    this.history.get(r.device)!.push({ ...r });
    if (r.t > (this.deviceNow.get(r.device) ?? -Infinity)) this.deviceNow.set(r.device, r.t);
    return this.collect([r.device]);
  }

  advance(t: number): Transition[] {
    if (this.start === undefined) this.begin(t);
    if (t > this.ticked) this.ticked = t;
    return this.collect(this.seenDevices);
  }

  private collect(devices: string[]): Transition[] {
    const out: { idx: number; tr: Transition }[] = [];
    this.rules.forEach((rule, idx) => {
      const inScope = compileScope(rule.scope);
      for (const d of devices) {
        if (!inScope(this.opts.devices?.(d) ?? { id: d })) continue;
        const all = this.timeline(rule, d);
        const k = `${rule.id}\u0000${d}`;
        const done = this.emitted.get(k) ?? 0;
        for (const tr of all.slice(done)) out.push({ idx, tr });
        this.emitted.set(k, all.length);
      }
    });
    out.sort(
      (a, b) =>
        a.tr.t - b.tr.t ||
        a.idx - b.idx ||
        (a.tr.device < b.tr.device ? -1 : a.tr.device > b.tr.device ? 1 : 0),
    );
    return out.map((x) => x.tr);
  }

  /** Every transition of one rule for one device, recomputed from the whole history. */
  private timeline(rule: Rule, device: string): Transition[] {
    const leaves = leavesOf(rule.when);
    const hist = this.history.get(device)!;
    const since = this.firstSeen.get(device)!;
    const horizon = Math.max(this.ticked, this.deviceNow.get(device) ?? since);
    const out: Transition[] = [];
    const emit = (kind: "fired" | "cleared", t: number, cause: Reading[]) => {
      const tr: Transition = {
        rule: rule.id,
        device,
        kind,
        t,
        severity: rule.severity,
        actions: kind === "fired" ? rule.actions : rule.clearActions,
        cause: cause.map((c) => ({ ...c })),
      };
      if (rule.message !== undefined) tr.message = renderMessage(rule, device, kind, t, cause);
      out.push(tr);
    };

    // Events in order: readings touching the rule, and stale expiries (before readings at the same time).
    type Ev = { t: number; r?: Reading; expire?: number[] };
    const events: Ev[] = [];
    const lastOf = leaves.map(() => ({ t: since, r: undefined as Reading | undefined, on: false }));
    const touching = hist.filter((r) => leaves.some((l) => touches(l, r)));
    const pushExpiries = (upTo: number, inclusive: boolean) => {
      const due = new Map<number, number[]>();
      leaves.forEach((l, i) => {
        if (l.kind !== "stale" || lastOf[i]!.on) return;
        const at = lastOf[i]!.t + l.afterMs;
        if (inclusive ? at <= upTo : at < upTo) due.set(at, [...(due.get(at) ?? []), i]);
      });
      for (const at of [...due.keys()].sort((a, b) => a - b)) {
        events.push({ t: at, expire: due.get(at)! });
        for (const i of due.get(at)!) lastOf[i]!.on = true;
      }
    };
    for (const r of touching) {
      pushExpiries(r.t, true);
      events.push({ t: r.t, r });
      leaves.forEach((l, i) => {
        if (l.kind === "stale" && touches(l, r)) lastOf[i] = { t: r.t, r, on: false };
      });
    }
    pushExpiries(horizon, true);

    // Leaf values, recomputed by scanning history.
    const vals = leaves.map(() => false);
    const lastReported: (number | undefined)[] = leaves.map(() => undefined);
    const staleLast = leaves.map(() => undefined as Reading | undefined);
    let phase: "inactive" | "pending" | "active" | "clearing" = "inactive";
    let deadline = Infinity;
    let pendingCause: Reading[] = [];
    let cond = false;
    let primed = false;
    const flip = (c: boolean, t: number, cause: Reading[]) => {
      cond = c;
      if (c && phase === "clearing") [phase, deadline] = ["active", Infinity];
      else if (c && phase === "inactive") {
        if (rule.forMs === 0) [phase] = ["active", emit("fired", t, cause)];
        else [phase, deadline, pendingCause] = ["pending", t + rule.forMs, cause];
      } else if (!c && phase === "pending") [phase, deadline] = ["inactive", Infinity];
      else if (!c && phase === "active") {
        if (rule.clearForMs === 0) [phase] = ["inactive", emit("cleared", t, cause)];
        else [phase, deadline, pendingCause] = ["clearing", t + rule.clearForMs, cause];
      }
    };
    const due = (t: number) => {
      if (deadline > t) return;
      const at = deadline;
      deadline = Infinity;
      if (phase === "pending") [phase] = ["active", emit("fired", at, pendingCause)];
      else if (phase === "clearing") [phase] = ["inactive", emit("cleared", at, pendingCause)];
    };

    for (const e of events) {
      due(e.t);
      let cause: Reading[] | undefined;
      if (e.expire) {
        for (const i of e.expire) {
          vals[i] = true;
          if (cause === undefined) cause = staleLast[i] ? [staleLast[i]!] : [];
        }
      } else {
        const r = e.r!;
        const prior = touching.slice(0, touching.indexOf(r));
        leaves.forEach((l, i) => {
          if (!touches(l, r)) return;
          let v = vals[i]!;
          let c: Reading[] = [r];
          if (l.kind === "threshold") v = compare(l.cmp, v, r.value);
          else if (l.kind === "stale") {
            v = false;
            staleLast[i] = r;
          } else if (l.kind === "deadband") {
            const last = lastReported[i];
            v = last === undefined || Math.abs(r.value - last) > l.band;
            if (v) lastReported[i] = r.value;
            if (v && cause === undefined) cause = [r];
            return;
          } else {
            const inWindow = [...prior, r].filter(
              (x) => x.sensor === l.sensor && x.t >= r.t - l.windowMs,
            );
            const ref = inWindow[0]!;
            const dt = r.t - ref.t;
            v = dt > 0 ? compare(l.cmp, v, ((r.value - ref.value) / dt) * l.perMs) : false;
            if (inWindow.length >= 2) c = [ref, r];
          }
          if (v !== vals[i]) {
            vals[i] = v;
            if (cause === undefined) cause = c;
          }
        });
        if (rule.when.kind === "deadband") {
          if (cause) emit("fired", r.t, cause);
          continue;
        }
        if (cause === undefined && !primed) cause = [r];
      }
      if (cause !== undefined) {
        primed = true;
        const c = evalTree(rule.when, vals, { i: 0 });
        if (c !== cond) flip(c, e.t, cause);
      }
    }
    due(horizon);
    return out;
  }
}
