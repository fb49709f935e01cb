/**
 * fieldline-processor CLI.
 *   run --config FILE     run the processor until SIGTERM/SIGINT
 *   detect DATA OUT       score NAB-style CSV files with the anomaly detector
 *   config-reference      print the configuration reference (Markdown) from the schema
 *   token add|list|revoke the operator API's tokens (auth/token-cli.ts)
 */
import { pathToFileURL } from "node:url";
import { ConfigError, loadConfig, parseConfig } from "./config.ts";
import { configReference } from "./config-doc.ts";
import { Processor } from "./processor.ts";

const HELP = `usage: cloud-processor <command> [options]

commands:
  run --config FILE     ingest telemetry from MQTT, detect, alert and write to the sink
                        (without --config: all defaults, file sink under ./data)
  detect DATA OUT       run the anomaly detector over DATA/<category>/<file>.csv
                        (timestamp,value) into OUT/<category>/<file>.csv with anomaly_score
  config-reference      print every configuration field with its default and description
  token add NAME --role operator|node-red|viewer
                        create an operator API token (printed once); also
                        token list, token revoke NAME (token --help for more)

options:
  -h, --help            show this help
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") {
    process.stdout.write(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "detect") {
    if (rest.includes("-h") || rest.includes("--help")) {
      process.stdout.write("usage: cloud-processor detect <dataDir> <outDir>\n");
      return 0;
    }
    const { runDetect } = await import("./detection/detect-cli.ts");
    return runDetect(rest);
  }
  if (cmd === "config-reference") {
    process.stdout.write(configReference());
    return 0;
  }
  if (cmd === "run") return run(rest);
  if (cmd === "token") {
    const { runTokenCli } = await import("./auth/token-cli.ts");
    return runTokenCli(rest);
  }
  process.stderr.write(`unknown command ${JSON.stringify(cmd)}\n\n${HELP}`);
  return 2;
}

async function run(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    process.stdout.write("usage: cloud-processor run [--config FILE]\n");
    return 0;
  }
  const i = args.indexOf("--config");
  if (i >= 0 && args[i + 1] === undefined) {
    process.stderr.write("--config needs a file\n");
    return 2;
  }
  let cfg;
  try {
    cfg = i >= 0 ? await loadConfig(args[i + 1]!) : parseConfig({});
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + "\n");
      return 2;
    }
    throw err;
  }
  const p = new Processor(cfg);
  await p.start();
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      p.log.info({ signal: sig }, "stopping");
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  await p.stop();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`cloud-processor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
