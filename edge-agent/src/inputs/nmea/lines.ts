/**
 * NMEA 0183 framing: sentences are ASCII lines "$TTSSS,f1,f2,...*HH\r\n", at most 82
 * characters including "$" and CRLF (NMEA 0183 v4.10 §5.3). HH is the XOR of every
 * character between "$" and "*", in hex.
 */
export const MAX_SENTENCE_CHARS = 82;

export type LineResult =
  | { ok: true; sentence: string }
  | { ok: false; reason: "too-long" | "checksum" | "framing"; detail: string };

/** Splits a byte stream into sentences; keeps a partial line between chunks. */
export class NmeaLineSplitter {
  private partial = "";
  private overflow = false;

  push(chunk: Uint8Array): LineResult[] {
    const out: LineResult[] = [];
    const text =
      this.partial +
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const raw of lines) {
      if (this.overflow) {
        // The rest of a line already reported as too long.
        this.overflow = false;
        continue;
      }
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.length === 0) continue;
      out.push(checkSentence(line));
    }
    if (this.partial.length > MAX_SENTENCE_CHARS * 2) {
      if (!this.overflow)
        out.push({
          ok: false,
          reason: "too-long",
          detail: `no line end within ${this.partial.length} chars`,
        });
      this.overflow = true;
      this.partial = "";
    }
    return out;
  }

  reset(): void {
    this.partial = "";
    this.overflow = false;
  }
}

export function checkSentence(line: string): LineResult {
  if (line.length + 2 > MAX_SENTENCE_CHARS) {
    return {
      ok: false,
      reason: "too-long",
      detail: `${line.length + 2} chars > ${MAX_SENTENCE_CHARS}: ${line.slice(0, 20)}...`,
    };
  }
  const start = line.search(/[$!]/);
  if (start < 0)
    return {
      ok: false,
      reason: "framing",
      detail: `no "$" in ${JSON.stringify(line.slice(0, 40))}`,
    };
  const s = line.slice(start); // tolerate line noise before "$"
  const star = s.lastIndexOf("*");
  if (star < 0 || star !== s.length - 3)
    return { ok: false, reason: "checksum", detail: `missing checksum: ${s}` };
  const given = Number.parseInt(s.slice(star + 1), 16);
  let sum = 0;
  for (let i = 1; i < star; i++) sum ^= s.charCodeAt(i);
  if (Number.isNaN(given) || given !== sum) {
    return {
      ok: false,
      reason: "checksum",
      detail: `checksum ${s.slice(star + 1)} != ${sum.toString(16).toUpperCase().padStart(2, "0")}: ${s}`,
    };
  }
  return { ok: true, sentence: s };
}

/** "$" + body + "*HH" for tests and simulators. */
export function withChecksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, "0")}`;
}
