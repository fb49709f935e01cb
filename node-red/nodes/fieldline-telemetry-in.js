// Telemetry in: subscribes to devices' telemetry and sends decoded, validated readings.
const subscribeKind = require("../lib/subscription.js");

module.exports = function (RED) {
  function FieldlineTelemetryInNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    subscribeKind(RED, node, config, "telemetry", (addr, batch, topic) => {
      if (!batch) return; // an empty telemetry message carries nothing
      if (!config.split) {
        node.send({ topic, site: addr.site, device: batch.device, payload: batch });
        return;
      }
      for (const r of batch.readings) {
        node.send({ topic, site: addr.site, device: batch.device, boot: batch.boot, seq: batch.seq, payload: r });
      }
    });
  }
  RED.nodes.registerType("fieldline-telemetry-in", FieldlineTelemetryInNode);
};
