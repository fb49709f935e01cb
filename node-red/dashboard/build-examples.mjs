// Writes the example flows from their sources (the dashboard page is kept as real HTML here).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const page = readFileSync(here("./dashboard.html"), "utf8");

const broker = { id: "fl-broker", type: "fieldline-broker", name: "Fieldline broker", url: "mqtt://broker:1883", clientId: "node-red-dashboard" };

const trackDevice = `// Keep the latest reading per sensor of each device, and push the change to browsers.
const devices = flow.get("devices") || {};
const key = msg.site + "/" + msg.device;
const d = devices[key] || { site: msg.site, device: msg.device, latest: {} };
for (const r of msg.payload.readings) {
  d.latest[r.sensor] = r.value;
  d.lastSeen = Math.max(d.lastSeen || 0, r.t);
}
devices[key] = d;
flow.set("devices", devices);
return { payload: { type: "device", key, device: d } };`;

const trackAlert = `// The active set: an alert stays until its retained message is removed.
const alerts = flow.get("alerts") || {};
const key = msg.alert.site + "/" + msg.alert.device + "/" + msg.alert.rule;
if (msg.payload && msg.payload.state !== "cleared") alerts[key] = msg.payload;
else delete alerts[key];
flow.set("alerts", alerts);
return { payload: { type: "alert", key, alert: alerts[key] || null } };`;

const state = `msg.payload = { devices: flow.get("devices") || {}, alerts: flow.get("alerts") || {} };
return msg;`;

const dashboard = [
  { id: "fl-dash-tab", type: "tab", label: "Fieldline operator dashboard" },
  broker,
  { id: "fl-ws", type: "websocket-listener", path: "/ws/fieldline", wholemsg: "false" },
  { id: "tin", z: "fl-dash-tab", type: "fieldline-telemetry-in", name: "all telemetry", broker: broker.id, x: 140, y: 60, wires: [["devfn"]] },
  { id: "devfn", z: "fl-dash-tab", type: "function", name: "track devices", func: trackDevice, outputs: 1, x: 350, y: 60, wires: [["wsout"]] },
  { id: "ain", z: "fl-dash-tab", type: "fieldline-alerts-in", name: "alerts", broker: broker.id, x: 130, y: 120, wires: [["alfn"]] },
  { id: "alfn", z: "fl-dash-tab", type: "function", name: "track alerts", func: trackAlert, outputs: 1, x: 350, y: 120, wires: [["wsout"]] },
  { id: "wsout", z: "fl-dash-tab", type: "websocket out", name: "to browsers", server: "fl-ws", client: "", x: 570, y: 90, wires: [] },
  { id: "page-in", z: "fl-dash-tab", type: "http in", name: "", url: "/fieldline", method: "get", upload: false, x: 130, y: 200, wires: [["page"]] },
  { id: "page", z: "fl-dash-tab", type: "template", name: "dashboard page", field: "payload", fieldType: "msg", format: "html", syntax: "plain", template: page, output: "str", x: 340, y: 200, wires: [["page-out"]] },
  { id: "page-out", z: "fl-dash-tab", type: "http response", name: "", statusCode: "", headers: { "content-type": "text/html; charset=utf-8" }, x: 550, y: 200, wires: [] },
  { id: "state-in", z: "fl-dash-tab", type: "http in", name: "", url: "/fieldline/state", method: "get", upload: false, x: 150, y: 260, wires: [["statefn"]] },
  { id: "statefn", z: "fl-dash-tab", type: "function", name: "current state", func: state, outputs: 1, x: 350, y: 260, wires: [["state-out"]] },
  { id: "state-out", z: "fl-dash-tab", type: "http response", name: "", statusCode: "", headers: {}, x: 550, y: 260, wires: [] },
  { id: "ack-in", z: "fl-dash-tab", type: "http in", name: "", url: "/fieldline/ack", method: "post", upload: false, x: 140, y: 320, wires: [["ack"]] },
  { id: "ack", z: "fl-dash-tab", type: "fieldline-alert-ack", name: "acknowledge", api: "http://processor:8080", operator: "dashboard", x: 340, y: 320, wires: [["ack-out"]] },
  { id: "ack-out", z: "fl-dash-tab", type: "http response", name: "", statusCode: "", headers: {}, x: 550, y: 320, wires: [] },
  { id: "ack-catch", z: "fl-dash-tab", type: "catch", name: "ack failed", scope: ["ack"], uncaught: false, x: 140, y: 380, wires: [["ack-err"]] },
  { id: "ack-err", z: "fl-dash-tab", type: "change", name: "502", rules: [{ t: "set", p: "statusCode", pt: "msg", to: "502", tot: "num" }, { t: "set", p: "payload", pt: "msg", to: "error.message", tot: "msg" }], x: 340, y: 380, wires: [["ack-out"]] },
];

const debug = [
  { id: "fl-debug-tab", type: "tab", label: "Fieldline telemetry and commands" },
  { ...broker, clientId: "node-red-example" },
  { id: "t1", z: "fl-debug-tab", type: "fieldline-telemetry-in", name: "one message per reading", broker: broker.id, split: true, x: 160, y: 60, wires: [["dbg"]] },
  { id: "dbg", z: "fl-debug-tab", type: "debug", name: "readings", active: true, complete: "payload", x: 400, y: 60, wires: [] },
  { id: "inj", z: "fl-debug-tab", type: "inject", name: "ping pump-7", props: [{ p: "payload" }], payload: "ping", payloadType: "str", x: 140, y: 120, wires: [["cmd"]] },
  { id: "cmd", z: "fl-debug-tab", type: "fieldline-command-out", name: "", broker: broker.id, site: "plant-1", device: "pump-7", command: "ping", waitForResult: true, timeout: 10, x: 360, y: 120, wires: [["dbg2"]] },
  { id: "dbg2", z: "fl-debug-tab", type: "debug", name: "result", active: true, complete: "payload", x: 560, y: 120, wires: [] },
];

// The docker-compose deployment preloads the dashboard, wired to the compose services.
const deployed = dashboard.map((n) => (n.type === "fieldline-alert-ack" ? { ...n, api: "http://processor:8080" } : n));
writeFileSync(here("../../deploy/node-red/flows.json"), JSON.stringify(deployed, null, 2) + "\n");
writeFileSync(here("../examples/operator-dashboard.json"), JSON.stringify(dashboard, null, 2) + "\n");
writeFileSync(here("../examples/telemetry-and-commands.json"), JSON.stringify(debug, null, 2) + "\n");
