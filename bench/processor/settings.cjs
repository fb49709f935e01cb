// Node-RED settings for the side-by-side benchmark: loopback only, no editor auth (temp userDir),
// cbor-x exposed to function nodes through the global context.
module.exports = {
  uiHost: "127.0.0.1",
  uiPort: Number(process.env.NR_PORT || 1880),
  flowFile: "flows.json",
  credentialSecret: false,
  functionGlobalContext: { cbor: require("cbor-x") },
  logging: { console: { level: "warn", metrics: false, audit: false } },
  editorTheme: { tours: false },
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
};
