/** A parser for InfluxDB line protocol (the subset Fieldline writes, plus quoting/escapes). */

export interface LineRecord {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** As written (precision is the reader's business); undefined when absent. */
  timestamp: number | undefined;
}

/** Splits at `sep` outside escapes and double quotes. */
function split(text: string, sep: string, limit = Infinity): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted && out.length < limit - 1) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, "$1");

function fieldValue(raw: string): number | string | boolean {
  if (raw.startsWith('"')) return raw.slice(1, -1).replace(/\\(["\\])/g, "$1");
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
  if (/^-?\d+[iu]$/.test(raw)) return Number(raw.slice(0, -1));
  return Number(raw);
}

/** Parses one line; undefined for blank lines and comments; throws on a malformed line. */
export function parseLine(line: string): LineRecord | undefined {
  const text = line.trim();
  if (text === "" || text.startsWith("#")) return undefined;
  const parts = split(text, " ");
  if (parts.length < 2 || parts.length > 3) throw new Error(`malformed line: ${text.slice(0, 120)}`);
  const [series, fieldText, ts] = parts as [string, string, string | undefined];
  const [measurement, ...tagPairs] = split(series, ",");
  const tags: Record<string, string> = {};
  for (const pair of tagPairs) {
    const [k, v] = split(pair, "=", 2);
    if (v === undefined) throw new Error(`malformed tag ${pair}`);
    tags[unescape(k!)] = unescape(v);
  }
  const fields: Record<string, number | string | boolean> = {};
  for (const pair of split(fieldText, ",")) {
    const [k, v] = split(pair, "=", 2);
    if (v === undefined) throw new Error(`malformed field ${pair}`);
    fields[unescape(k!)] = fieldValue(v);
  }
  return { measurement: unescape(measurement!), tags, fields, timestamp: ts === undefined ? undefined : Number(ts) };
}
