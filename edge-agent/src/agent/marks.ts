/**
 * Inputs' stored marks (StoredMark) as the meta of an outbox record, and back. JSON: a few
 * hundred bytes a batch, read only at start.
 */
import type { StoredMark } from "../inputs/source";
import { MAX_META } from "../outbox";

/** The marks of the groups a batch closes; undefined when none, or too large for one record. */
export function encodeMarks(groups: readonly StoredMark[][], tooLarge: (bytes: number) => void): Uint8Array | undefined {
  if (groups.length === 0) return undefined;
  const bytes = Buffer.from(JSON.stringify(groups.flat()));
  if (bytes.length <= MAX_META) return bytes;
  // The inputs' state files still get these seqs, right after the append.
  tooLarge(bytes.length);
  return undefined;
}

/** The marks in the metas of the outbox's unacknowledged records; anything unreadable is skipped. */
export function decodeMarks(metas: readonly Uint8Array[]): StoredMark[] {
  const out: StoredMark[] = [];
  for (const m of metas) {
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(m).toString("utf8"));
    } catch {
      continue; // damaged: only costs dedupe
    }
    if (!Array.isArray(v)) continue;
    for (const x of v as Partial<StoredMark>[]) if (isMark(x)) out.push({ input: x.input, boot: x.boot, seqs: x.seqs });
  }
  return out;
}

function isMark(x: Partial<StoredMark> | null): x is StoredMark {
  if (typeof x !== "object" || x === null || typeof x.input !== "string" || !Array.isArray(x.seqs)) return false;
  const bootOk = (typeof x.boot === "string" && x.boot.length > 0) || (typeof x.boot === "number" && Number.isInteger(x.boot) && x.boot >= 0);
  return bootOk && x.seqs.every((q) => Number.isInteger(q) && q >= 0 && q <= 0xffff);
}
