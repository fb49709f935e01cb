// Alerts in: the processor's alerts (the active set arrives retained on connect).
const subscribeKind = require("../lib/subscription.js");

module.exports = function (RED) {
  function FieldlineAlertsInNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    subscribeKind(RED, node, config, "alerts", (addr, alert, topic, packet) => {
      // A null alert is an empty retained message: a cleared alert leaving the active set.
      const key = { site: addr.site, device: addr.device, rule: addr.rule };
      node.send({ topic, alert: key, retained: packet.retain, payload: alert });
    });
  }
  RED.nodes.registerType("fieldline-alerts-in", FieldlineAlertsInNode);
};
