/** The simulated MCU's buffer of unacknowledged readings frames (serial-retransmit.ts). */
import { describe, expect, it } from "vitest";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { UnackedFrames } from "../src/transports/serial-retransmit";

const frame = (seq: number) => encodeFrame({ type: "readings", seq, body: { readings: [{ sensor: "a", value: seq }] } });
const ack = (id: number, of?: "readings" | "command") => encodeFrame({ type: "ack", seq: 0, body: { id, ok: true, ...(of ? { of } : {}) } });

describe("UnackedFrames", () => {
  it("re-sends, oldest first, what is not acked within the timeout, the same bytes", () => {
    const u = new UnackedFrames(500, 10);
    for (let s = 1; s <= 3; s++) u.sent(s, frame(s), 1, 0);
    expect(u.due(499, 10)).toEqual([]);
    u.received(ack(2, "readings"));
    expect(u.due(500, 10)).toEqual([frame(1), frame(3)]);
    expect(u.due(600, 10)).toEqual([]); // re-sent at 500: due again at 1000
    expect(u.due(1000, 1)).toEqual([frame(1)]);
    expect(u.stats).toMatchObject({ retransmits: 3, acked: 1, dropped: 0 });
  });

  it("ignores command acks, and acks split across chunks still count", () => {
    const u = new UnackedFrames(100, 10);
    u.sent(4, frame(4), 1, 0);
    u.received(ack(4));
    u.received(ack(4, "command"));
    expect(u.size).toBe(1);
    const bytes = ack(4, "readings");
    u.received(bytes.subarray(0, 3));
    u.received(bytes.subarray(3));
    expect(u.size).toBe(0);
  });

  it("drops the oldest when full, counting the readings lost; a reboot empties it", () => {
    const u = new UnackedFrames(100, 2);
    for (let s = 1; s <= 3; s++) u.sent(s, frame(s), 5, 0);
    expect(u.size).toBe(2);
    expect(u.stats).toMatchObject({ dropped: 1, droppedReadings: 5 });
    expect(u.due(100, 10)).toEqual([frame(2), frame(3)]);
    u.clear();
    expect(u.size).toBe(0);
  });
});
