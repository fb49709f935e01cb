/**
 * JSON Schema (draft-07, which most non-TypeScript validators support) for every payload
 * kind and serial frame body, generated from the zod schemas: file name -> text.
 *
 * Input-side schemas: unknown properties are allowed (readers ignore them). A sensor value
 * is any float64 including NaN and +-Infinity, which JSON Schema cannot spell, so it is
 * exported as {"type": "number"} with a description saying so.
 */
import { format, resolveConfig } from "prettier";
import { z } from "zod";
import { payloadSchemas, sensorValue } from "../../src";
import { FRAME_TYPES } from "../../src/serial";

const SENSOR_VALUE = {
  type: "number",
  description:
    "float64; NaN, +Infinity and -Infinity are allowed (CBOR floats) and mark sensor faults",
};

function toJsonSchema(schema: z.ZodType, title: string, description: string): object {
  const out = z.toJSONSchema(schema, {
    target: "draft-7",
    io: "input",
    // z.nan() and the infinities inside sensorValue; the override below replaces the whole union.
    unrepresentable: "any",
    override: (ctx) => {
      if (ctx.zodSchema !== sensorValue) return;
      const js = ctx.jsonSchema as Record<string, unknown>;
      for (const k of Object.keys(js)) delete js[k];
      Object.assign(js, SENSOR_VALUE);
    },
  });
  const { $schema, ...rest } = out as Record<string, unknown>;
  return { $schema, title, description, ...rest };
}

/** File name -> text, formatted by the repository's prettier config. */
export async function buildJsonSchemas(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const options = { ...(await resolveConfig(import.meta.filename)), parser: "json" };
  const pending: Promise<void>[] = [];
  const put = (name: string, schema: object) =>
    pending.push(
      format(JSON.stringify(schema), options).then((text) => void files.set(name, text)),
    );
  for (const [kind, schema] of Object.entries(payloadSchemas)) {
    put(
      `payload-${kind}.json`,
      toJsonSchema(
        schema,
        `Fieldline ${kind} payload`,
        `CBOR payload of the MQTT ${kind} topic (schema major version 1).`,
      ),
    );
  }
  for (const [type, spec] of Object.entries(FRAME_TYPES)) {
    put(
      `frame-${type}.json`,
      toJsonSchema(
        spec.schema,
        `Fieldline ${type} frame body`,
        `CBOR body of a serial frame of type ${type} (type byte 0x${spec.code.toString(16).padStart(2, "0")}, frame version 1).`,
      ),
    );
  }
  await Promise.all(pending);
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
