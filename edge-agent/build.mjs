// Builds dist/edge-agent.mjs: one ESM file with everything but the native modules.
// Usage: node build.mjs [--metafile FILE]
//
// Code the agent can never run is left out of the bundle (README, "Memory"): what a bundle
// contains is parsed at start (the parser's peak is malloc'd memory that glibc keeps), kept as
// source on the V8 heap, and, for modules a dependency requires eagerly, run. Each stand-in
// throws if it is ever reached, so a mistake here fails loudly instead of silently.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({ options: { metafile: { type: "string" } } });

/** Modules replaced by a few lines, keyed by a regexp on their resolved path. */
const standIns = [
  {
    // zod's 40 message locales (260 kB minified); the agent reports problems in English, which
    // zod configures from locales/en.js directly.
    path: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/,
    contents: `export { default as en } from "./en.js";`,
    loader: "js",
  },
  {
    // mqtt.js's WebSocket transport and the `ws` package behind it (~130 kB, loaded at connect
    // time whatever the URL): the config accepts only mqtt:// and mqtts:// (config/schema.ts).
    path: /[\\/]mqtt[\\/]build[\\/]lib[\\/]connect[\\/]ws\.js$/,
    contents: `const no = () => { throw new Error("fieldline edge agent: MQTT over WebSocket is not built in"); };
exports.streamBuilder = no; exports.browserStreamBuilder = no;`,
    loader: "js",
  },
  {
    // SOCKS proxy support (socks, ip-address, smart-buffer: ~70 kB): not a config option; mqtt.js
    // only calls it when socksProxy or MQTTJS_SOCKS_PROXY is set.
    path: /[\\/]mqtt[\\/]build[\\/]lib[\\/]connect[\\/]socks\.js$/,
    contents: `exports.default = () => { throw new Error("fieldline edge agent: SOCKS proxies are not built in (unset MQTTJS_SOCKS_PROXY)"); };`,
    loader: "js",
  },
  {
    // Timers in a Web Worker, for mqtt.js in browsers; Node uses its native timers.
    path: /[\\/]worker-timers[\\/]build[\\/]es5[\\/]bundle\.js$/,
    contents: `const no = () => { throw new Error("fieldline edge agent: worker timers are for browsers"); };
exports.setInterval = no; exports.clearInterval = no; exports.setTimeout = no; exports.clearTimeout = no;`,
    loader: "js",
  },
  {
    // `serialport` re-exports ten stream parsers and a mock binding besides SerialPort; the agent
    // uses SerialPort only.
    path: /[\\/]node_modules[\\/]serialport[\\/]dist[\\/]index\.js$/,
    contents: `module.exports = require("./serialport.js");`,
    loader: "js",
  },
];

const standInPlugin = {
  name: "stand-ins",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const s = standIns.find((x) => x.path.test(args.path));
      return s ? { contents: s.contents, loader: s.loader, resolveDir: dirname(args.path) } : undefined;
    });
  },
};

const result = await build({
  entryPoints: [join(here, "src/cli.ts")],
  outfile: join(here, "dist/edge-agent.mjs"),
  bundle: true,
  minify: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@serialport/bindings-cpp", "node-libgpiod", "cbor-extract"],
  banner: { js: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
  plugins: [standInPlugin],
  metafile: values.metafile !== undefined,
  logLevel: "warning",
});
if (values.metafile) writeFileSync(values.metafile, JSON.stringify(result.metafile));
