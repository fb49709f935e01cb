/** Streams a ground-truth JSONL file back as records. */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { TruthRecord } from "./records";

export async function* readTruth(file: string): AsyncIterable<TruthRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as TruthRecord;
    } catch (err) {
      throw new Error(`${file}:${n}: not JSON: ${(err as Error).message}`);
    }
  }
}
