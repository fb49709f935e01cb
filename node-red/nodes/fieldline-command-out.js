// Command out: sends a command to one device and (optionally) waits for its result.
const crypto = require("node:crypto");
const { topics, encodePayload, decodePayload } = require("../lib/contracts.cjs");

module.exports = function (RED) {
  function FieldlineCommandOutNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const broker = RED.nodes.getNode(config.broker);
    if (!broker) {
      node.status({ fill: "red", shape: "ring", text: "no broker configured" });
      return;
    }
    const timeoutMs = Number(config.timeout || 10) * 1000;
    const pending = new Map(); // command id -> {msg, send, done, timer}
    const resultFilters = new Map(); // filter -> refcount

    function onResult(topic, payload) {
      const out = decodePayload("commandResults", payload);
      if (!out.ok) return;
      const p = pending.get(out.value.id);
      if (!p) return;
      finish(out.value.id);
      node.status({ fill: out.value.ok ? "green" : "red", shape: "dot", text: `${p.name}: ${out.value.ok ? "ok" : out.value.error}` });
      p.send({ ...p.msg, payload: out.value });
      p.done();
    }

    function finish(id) {
      const p = pending.get(id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(id);
      const n = resultFilters.get(p.filter) - 1;
      if (n === 0) {
        resultFilters.delete(p.filter);
        broker.unsubscribe(p.filter, onResult);
      } else resultFilters.set(p.filter, n);
    }

    node.on("input", async (msg, send, done) => {
      const site = msg.site || config.site;
      const device = msg.device || config.device;
      const spec = typeof msg.payload === "string" ? { name: msg.payload } : msg.payload || {};
      const name = spec.name || config.command;
      const command = {
        v: 1,
        id: crypto.randomUUID(),
        device,
        t: Date.now(),
        name,
        ...(spec.args ? { args: spec.args } : {}),
      };
      let topic;
      let bytes;
      try {
        topic = topics.commands({ site, device });
        bytes = encodePayload("commands", command);
      } catch (err) {
        done(err);
        return;
      }
      const wait = config.waitForResult !== false;
      if (wait) {
        const filter = topics.commandResults({ site, device });
        if (!resultFilters.has(filter)) broker.subscribe(filter, onResult);
        resultFilters.set(filter, (resultFilters.get(filter) || 0) + 1);
        const timer = setTimeout(() => {
          finish(command.id);
          node.status({ fill: "red", shape: "ring", text: `${name}: no result` });
          done(new Error(`command ${name} to ${device}: no result within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(command.id, { msg, send, done, timer, filter, name });
      }
      try {
        await broker.publish(topic, bytes, { qos: 1 });
        node.status({ fill: "blue", shape: "dot", text: `${name} sent` });
        if (!wait) {
          send({ ...msg, payload: command });
          done();
        }
      } catch (err) {
        if (wait) finish(command.id);
        done(err);
      }
    });

    broker.register(node);
    node.on("close", (done) => {
      for (const id of [...pending.keys()]) finish(id);
      broker.deregister(node, done);
    });
  }
  RED.nodes.registerType("fieldline-command-out", FieldlineCommandOutNode);
};
