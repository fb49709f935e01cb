/**
 * edge-agent CLI:
 *   edge-agent run --config /etc/fieldline/edge.yaml
 *   edge-agent check-config --config /etc/fieldline/edge.yaml
 *   edge-agent config-doc            (Markdown table of every config field)
 */
import { parseArgs } from "node:util";
import { Agent, type AgentDeps } from "./agent/agent";
import { ConfigError, loadConfig } from "./config/load";
import { configDoc } from "./config/doc";

const HELP = `Usage: edge-agent <command> [options]

Commands:
  run --config FILE           run the agent until SIGTERM/SIGINT (then flush the outbox and stop)
  check-config --config FILE  validate the config (and its rules file); print every problem
  config-doc [--readme FILE]  print the config reference (Markdown), or rewrite it in FILE
                              between <!-- config-doc:begin --> and <!-- config-doc:end -->

Options:
  -c, --config FILE   config file (YAML)
      --drain-ms N    on SIGTERM, wait up to N ms for the outbox to be published (default 5000)
  -h, --help          this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      "drain-ms": { type: "string" },
      readme: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const cmd = positionals[0];
  if (values.help || cmd === undefined || cmd === "help") {
    process.stdout.write(HELP);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  if (cmd === "config-doc") {
    if (values.readme === undefined) {
      process.stdout.write(configDoc());
      return 0;
    }
    const { readFileSync, writeFileSync } = await import("node:fs");
    const text = readFileSync(values.readme, "utf8");
    const begin = "<!-- config-doc:begin -->\n";
    const end = "<!-- config-doc:end -->";
    const a = text.indexOf(begin);
    const b = text.indexOf(end);
    if (a < 0 || b < a) {
      process.stderr.write(`${values.readme}: no ${begin.trim()} ... ${end} markers\n`);
      return 2;
    }
    writeFileSync(values.readme, `${text.slice(0, a + begin.length)}${configDoc().trim()}\n${text.slice(b)}`);
    return 0;
  }
  const file = values.config ?? positionals[1];
  if (file === undefined) {
    process.stderr.write(`${cmd}: --config FILE is required\n`);
    return 2;
  }
  if (cmd === "check-config") {
    const cfg = loadConfig(file);
    if (cfg.rules.file) {
      // Compile the rules with the configured outputs, exactly as the agent would.
      const { checkRulesFile } = await import("./agent/check");
      checkRulesFile(cfg);
    }
    process.stdout.write(`${file}: ok\n`);
    return 0;
  }
  if (cmd === "run") {
    const agent = new Agent(loadConfig(file), killAfterStoredFrames(process.env.FIELDLINE_TEST_KILL_AFTER_STORED_FRAMES));
    const drainMs = Number(values["drain-ms"] ?? 5000);
    let stopping: Promise<void> | undefined;
    const stop = (signal: string) => {
      agent.logger.info({ signal }, "stopping");
      stopping ??= agent.stop(drainMs).then(
        () => process.exit(0),
        (err: unknown) => {
          agent.logger.error({ err }, "stop failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    await agent.start();
    return -1; // keep running
  }
  process.stderr.write(`unknown command ${cmd}\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG: systemd will not restart-loop on a bad config
    } else {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
  },
);

/**
 * Test hook: with FIELDLINE_TEST_KILL_AFTER_STORED_FRAMES=N the process SIGKILLs itself once
 * N readings frames are in the outbox, before their ack is written (the window end-to-end
 * tests need to hit on purpose).
 */
function killAfterStoredFrames(env: string | undefined): AgentDeps {
  const n = Number(env);
  if (!env || !Number.isInteger(n) || n < 1) return {};
  let stored = 0;
  return {
    afterStore: (_input, seqs) => {
      stored += seqs.length;
      if (stored >= n) process.kill(process.pid, "SIGKILL");
    },
  };
}
