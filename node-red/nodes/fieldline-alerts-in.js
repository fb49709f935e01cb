// Alerts in: the processor's alerts (the active set arrives retained on connect).
const { topicFilter, parseTopic, decodePayload } = require("../lib/contracts.cjs");
const warnOnce = require("../lib/decode-warner.js");

module.exports = function (RED) {
  function FieldlineAlertsInNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const broker = RED.nodes.getNode(config.broker);
    if (!broker) {
      node.status({ fill: "red", shape: "ring", text: "no broker configured" });
      return;
    }
    let filter;
    try {
      filter = topicFilter("alerts", {
        site: config.site || undefined,
        device: config.device || undefined,
      });
    } catch (err) {
      node.error(err.message);
      return;
    }
    const bad = warnOnce(node);
    const handler = (topic, payload, packet) => {
      const addr = parseTopic(topic);
      const key = { site: addr.site, device: addr.device, rule: addr.rule };
      // An empty retained message removes a cleared alert from the active set.
      if (payload.length === 0) {
        node.send({ topic, alert: key, retained: packet.retain, payload: null });
        return;
      }
      const out = decodePayload("alerts", payload);
      if (!out.ok) return bad(topic, out.error);
      node.send({ topic, alert: key, retained: packet.retain, payload: out.value });
    };
    broker.register(node);
    broker.subscribe(filter, handler);
    node.on("close", (done) => {
      broker.unsubscribe(filter, handler);
      broker.deregister(node, done);
    });
  }
  RED.nodes.registerType("fieldline-alerts-in", FieldlineAlertsInNode);
};
