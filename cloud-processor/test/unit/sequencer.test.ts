import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Sequencer } from "../../src/ingest/sequencer.ts";

function setup(holdMs = 1000, maxHeld = 100) {
  let now = 0;
  const released: string[] = [];
  const gaveUp: string[] = [];
  const late: string[] = [];
  const s = new Sequencer<string>({
    holdMs,
    maxHeld,
    now: () => now,
    release: (d, x) => released.push(`${d}:${x}`),
    gaveUp: (d, b, from, to) => gaveUp.push(`${d}:${b}:${from}-${to}`),
    late: (d, b, seq) => late.push(`${d}:${b}:${seq}`),
  });
  return { s, released, gaveUp, late, at: (t: number) => (now = t) };
}

describe("Sequencer", () => {
  it("releases messages that arrive in order at once", () => {
    const { s, released } = setup();
    expect(s.offer("a", "b1", 5, "5")).toBe("released"); // the first one seen starts the order
    expect(s.offer("a", "b1", 6, "6")).toBe("released");
    expect(released).toEqual(["a:5", "a:6"]);
    expect(s.held).toBe(0);
  });

  it("holds messages after a gap until it fills, then releases them in seq order", () => {
    const { s, released } = setup();
    s.offer("a", "b1", 0, "0");
    expect(s.offer("a", "b1", 3, "3")).toBe("held");
    expect(s.offer("a", "b1", 2, "2")).toBe("held");
    expect(released).toEqual(["a:0"]);
    expect(s.held).toBe(2);
    expect(s.offer("a", "b1", 1, "1")).toBe("released");
    expect(released).toEqual(["a:0", "a:1", "a:2", "a:3"]);
    expect(s.held).toBe(0);
  });

  it("does not release a redelivered message twice", () => {
    const { s, released } = setup();
    s.offer("a", "b1", 0, "0");
    s.offer("a", "b1", 2, "2");
    expect(s.offer("a", "b1", 2, "2 again")).toBe("seen");
    s.offer("a", "b1", 1, "1");
    expect(s.offer("a", "b1", 1, "1 again")).toBe("seen");
    expect(released).toEqual(["a:0", "a:1", "a:2"]);
  });

  it("gives a gap up after holdMs: reports the missing seqs and releases what waited", () => {
    const { s, released, gaveUp, at } = setup(1000);
    s.offer("a", "b1", 0, "0");
    at(100);
    s.offer("a", "b1", 3, "3");
    s.offer("a", "b1", 6, "6");
    at(1099);
    s.expire();
    expect(released).toEqual(["a:0"]);
    at(1100);
    s.expire();
    // 1-2 given up, 3 released; 4-5 is a new gap, waited for from now on
    expect(gaveUp).toEqual(["a:b1:1-2"]);
    expect(released).toEqual(["a:0", "a:3"]);
    at(2100);
    s.expire();
    expect(gaveUp).toEqual(["a:b1:1-2", "a:b1:4-5"]);
    expect(released).toEqual(["a:0", "a:3", "a:6"]);
    // a straggler of a given-up gap is not released any more
    expect(s.offer("a", "b1", 1, "1")).toBe("seen");
  });

  it("bounds what it holds per device", () => {
    const { s, released, gaveUp } = setup(60_000, 3);
    s.offer("a", "b1", 0, "0");
    for (const q of [2, 3, 4]) s.offer("a", "b1", q, String(q));
    expect(released).toEqual(["a:0"]);
    s.offer("a", "b1", 5, "5");
    expect(gaveUp).toEqual(["a:b1:1-1"]);
    expect(released).toEqual(["a:0", "a:2", "a:3", "a:4", "a:5"]);
  });

  it("a seq far ahead (more than maxJump) is released as it is and does not move the position", () => {
    const released: string[] = [];
    const s = new Sequencer<string>({ holdMs: 1000, maxHeld: 100, maxJump: 1000, release: (d, x) => released.push(`${d}:${x}`) });
    s.offer("a", "b1", 0, "0");
    expect(s.offer("a", "b1", 1_000_000, "bogus")).toBe("released");
    expect(s.offer("a", "b1", 1, "1")).toBe("released");
    expect(s.offer("a", "b1", 2, "2")).toBe("released");
    expect(released).toEqual(["a:0", "a:bogus", "a:1", "a:2"]);
  });

  it("devices are independent: one device's gap holds nobody else", () => {
    const { s, released } = setup();
    s.offer("a", "b", 0, "0");
    s.offer("x", "b", 0, "0");
    s.offer("a", "b", 2, "2");
    s.offer("x", "b", 1, "1");
    expect(released).toEqual(["a:0", "x:0", "x:1"]);
  });

  it("a new boot starting at seq 0 is released at once; what the old boot held goes first", () => {
    const { s, released, gaveUp } = setup();
    s.offer("a", "b1", 0, "b1.0");
    s.offer("a", "b1", 2, "b1.2");
    expect(s.offer("a", "b2", 0, "b2.0")).toBe("released");
    expect(gaveUp).toEqual(["a:b1:1-1"]);
    expect(released).toEqual(["a:b1.0", "a:b1.2", "a:b2.0"]);
  });

  it("a new boot seen first at seq > 0 waits for its earlier seqs", () => {
    const { s, released } = setup();
    s.offer("a", "b1", 7, "b1.7");
    expect(s.offer("a", "b2", 1, "b2.1")).toBe("held");
    expect(s.offer("a", "b2", 0, "b2.0")).toBe("released");
    expect(released).toEqual(["a:b1.7", "a:b2.0", "a:b2.1"]);
  });

  it("a message of an earlier boot after the switch is released and reported as late", () => {
    const { s, released, late } = setup();
    s.offer("a", "b1", 0, "b1.0");
    s.offer("a", "b2", 0, "b2.0");
    expect(s.offer("a", "b1", 1, "b1.1")).toBe("late");
    expect(late).toEqual(["a:b1:1"]);
    expect(released).toEqual(["a:b1.0", "a:b2.0", "a:b1.1"]);
  });

  it("positions survive a restart: a live message ahead of the backlog waits for it", () => {
    const first = setup();
    first.s.offer("a", "b1", 0, "0");
    first.s.offer("a", "b1", 1, "1");
    first.s.offer("a", "b1", 3, "3"); // held: not part of the position
    const positions = JSON.parse(JSON.stringify(first.s.positions())) as ReturnType<typeof first.s.positions>;
    expect(positions).toEqual({ a: { boot: "b1", next: 2 } });

    const second = setup();
    second.s.restore(positions);
    expect(second.s.offer("a", "b1", 9, "9")).toBe("held"); // live, after the restart
    for (const q of [1, 2, 3, 4, 5, 6, 7, 8]) second.s.offer("a", "b1", q, String(q)); // the backlog
    expect(second.released).toEqual(["a:2", "a:3", "a:4", "a:5", "a:6", "a:7", "a:8", "a:9"]);
  });

  it("restore ignores malformed positions", () => {
    const { s, released } = setup();
    s.restore({ a: { boot: "b", next: -1 }, x: { boot: 3 as unknown as string, next: 1 }, y: null as never });
    expect(s.offer("a", "b", 4, "4")).toBe("released");
    expect(released).toEqual(["a:4"]);
  });

  it("any arrival order with duplicates releases every message exactly once, in seq order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        fc.array(fc.nat({ max: 59 }), { maxLength: 20 }),
        (n, keys, dups) => {
          const { s, released } = setup(1e9, 1e6);
          const order = Array.from({ length: n }, (_, i) => i);
          // a random permutation of 1..n-1 (0 first: the first message seen starts the order)
          const rest = order.slice(1).map((q, i) => [keys[i] ?? 0, q] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
          const arrivals = [0, ...rest, ...dups.filter((d) => d < n)];
          for (const q of arrivals) s.offer("d", "b", q, String(q));
          expect(released).toEqual(order.map((q) => `d:${q}`));
          expect(s.held).toBe(0);
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });
});
