// Telemetry in: subscribes to devices' telemetry and sends decoded, validated readings.
const { topicFilter, parseTopic, decodePayload } = require("../lib/contracts.cjs");
const warnOnce = require("../lib/decode-warner.js");

module.exports = function (RED) {
  function FieldlineTelemetryInNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const broker = RED.nodes.getNode(config.broker);
    if (!broker) {
      node.status({ fill: "red", shape: "ring", text: "no broker configured" });
      return;
    }
    let filter;
    try {
      filter = topicFilter("telemetry", {
        site: config.site || undefined,
        device: config.device || undefined,
      });
    } catch (err) {
      node.error(err.message);
      node.status({ fill: "red", shape: "ring", text: "bad site or device id" });
      return;
    }
    const bad = warnOnce(node);
    const handler = (topic, payload) => {
      const addr = parseTopic(topic);
      const out = decodePayload("telemetry", payload);
      if (!out.ok) return bad(topic, out.error);
      const batch = out.value;
      if (config.split) {
        for (const r of batch.readings) {
          node.send({
            topic,
            site: addr.site,
            device: batch.device,
            boot: batch.boot,
            seq: batch.seq,
            payload: r,
          });
        }
      } else {
        node.send({ topic, site: addr.site, device: batch.device, payload: batch });
      }
    };
    broker.register(node);
    broker.subscribe(filter, handler);
    node.on("close", (done) => {
      broker.unsubscribe(filter, handler);
      broker.deregister(node, done);
    });
  }
  RED.nodes.registerType("fieldline-telemetry-in", FieldlineTelemetryInNode);
};
