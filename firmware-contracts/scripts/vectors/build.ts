/** Turns the golden cases into the files under vectors/ (path relative to vectors/ -> text). */
import { encodePayload, topicFor } from "../../src";
import { CRC_BYTES, FRAME_VERSION, cobsDecode, encodeFrame } from "../../src/serial";
import { frameCases, rawFrameCases } from "./frame-cases";
import { payloadCases, rawPayloadCases } from "./payload-cases";
import { toTagged } from "./json";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function frameParts(wire: Uint8Array) {
  const raw = cobsDecode(wire.subarray(0, -1));
  if (raw === undefined) throw new Error("case is not valid COBS");
  return {
    frame: hex(raw),
    body: hex(raw.subarray(4, raw.length - CRC_BYTES)),
    crc: hex(raw.subarray(raw.length - CRC_BYTES)),
  };
}

const text = (o: unknown) => `${JSON.stringify(o, null, 2)}\n`;

export function buildVectors(): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of frameCases) {
    const wire = encodeFrame(c.frame);
    files.set(
      `frames/${c.name}.json`,
      text({
        name: c.name,
        description: c.description,
        wire: hex(wire),
        ...frameParts(wire),
        decoded: toTagged({ version: FRAME_VERSION, ...c.frame }),
        canonical: true,
      }),
    );
  }
  for (const c of rawFrameCases) {
    const common = { name: c.name, description: c.description, wire: hex(c.wire) };
    files.set(
      `frames/${c.name}.json`,
      text(
        c.decoded
          ? {
              ...common,
              ...frameParts(c.wire),
              decoded: toTagged({ version: FRAME_VERSION, ...c.decoded }),
              canonical: false,
            }
          : { ...common, error: c.error },
      ),
    );
  }
  const addr = { site: "plant-1", device: "pump-7" };
  for (const c of payloadCases) {
    files.set(
      `payloads/${c.name}.json`,
      text({
        name: c.name,
        description: c.description,
        kind: c.kind,
        topic: topicFor(
          c.kind,
          addr,
          c.kind === "alerts" ? (c.value as { rule: string }).rule : undefined,
        ),
        cbor: hex(encodePayload(c.kind, c.value)),
        decoded: toTagged(c.value),
      }),
    );
  }
  for (const c of rawPayloadCases) {
    files.set(
      `payloads/${c.name}.json`,
      text({
        name: c.name,
        description: c.description,
        kind: c.kind,
        cbor: hex(c.cbor),
        error: c.error,
      }),
    );
  }
  return files;
}
