/** Reads a fleet spec from YAML and validates it, reporting every problem at once. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { fleetSpec, type FleetSpec } from "./schema";

export interface SpecIssue {
  /** e.g. `devices[1].profile` */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class SpecError extends Error {
  override name = "SpecError";
  constructor(
    readonly file: string,
    readonly issues: SpecIssue[],
  ) {
    super(`${file}: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.line ? `${i.line}:${i.column} ` : ""}${i.path || "(root)"}: ${i.message}`).join("\n")}`);
  }
}

export interface LoadedSpec {
  spec: FleetSpec;
  /** Folder that relative paths in the spec (replay files, truth) are resolved against. */
  baseDir: string;
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

export function parseSpec(text: string, file = "<spec>", baseDir = "."): LoadedSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SpecError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: "", message: e.message.split("\n")[0] ?? e.message, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }),
    );
  }
  const parsed = fleetSpec.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new SpecError(
      file,
      parsed.error.issues.map((issue) => {
        const out: SpecIssue = { path: formatPath(issue.path), message: issue.message };
        // Point at the deepest node of the path that exists in the document.
        for (let n = issue.path.length; n >= 0; n--) {
          const node = doc.getIn(issue.path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
          if (node && typeof node === "object" && node.range) {
            const pos = lineCounter.linePos(node.range[0]);
            out.line = pos.line;
            out.column = pos.col;
            break;
          }
        }
        return out;
      }),
    );
  }
  return { spec: parsed.data, baseDir };
}

export async function loadSpec(file: string): Promise<LoadedSpec> {
  const text = await readFile(file, "utf8");
  return parseSpec(text, file, path.dirname(path.resolve(file)));
}
