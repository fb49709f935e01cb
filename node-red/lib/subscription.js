// What every Fieldline "in" node does: find its broker, subscribe to one kind of topic for its
// site/device filter, hand each message over decoded, and let go of it all on close.
const { topicFilter, parseTopic, decodePayload } = require("./contracts.cjs");
const warnOnce = require("./decode-warner.js");

/**
 * @param node the Node-RED node
 * @param config its config (broker, site, device)
 * @param kind a contracts topic kind ("telemetry", "alerts", ...)
 * @param onMessage (addr, decoded | null for an empty payload, topic, packet) => void
 */
module.exports = function subscribeKind(RED, node, config, kind, onMessage) {
  const broker = RED.nodes.getNode(config.broker);
  if (!broker) {
    node.status({ fill: "red", shape: "ring", text: "no broker configured" });
    return;
  }
  let filter;
  try {
    filter = topicFilter(kind, { site: config.site || undefined, device: config.device || undefined });
  } catch (err) {
    node.error(err.message);
    node.status({ fill: "red", shape: "ring", text: "bad site or device id" });
    return;
  }
  const bad = warnOnce(node);
  const handler = (topic, payload, packet) => {
    const addr = parseTopic(topic);
    if (!addr) return;
    if (payload.length === 0) return onMessage(addr, null, topic, packet);
    const out = decodePayload(kind, payload);
    if (!out.ok) return bad(topic, out.error);
    onMessage(addr, out.value, topic, packet);
  };
  broker.register(node);
  broker.subscribe(filter, handler);
  node.on("close", (done) => {
    broker.unsubscribe(filter, handler);
    broker.deregister(node, done);
  });
};
