// Config node: one MQTT connection to the Fieldline broker, shared by every node that uses it.
const mqtt = require("mqtt");

module.exports = function (RED) {
  function FieldlineBrokerNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.url = config.url;
    node.clientId = config.clientId || `node-red-${Math.random().toString(16).slice(2, 10)}`;
    node.users = new Set();
    node.handlers = new Map(); // filter -> Set<handler>
    node.client = null;

    function setStatus(fill, shape, text) {
      for (const user of node.users) user.status({ fill, shape, text });
    }

    function connect() {
      if (node.client) return;
      // Credentials from the editor; else from the environment (containers, CI).
      const creds = { ...node.credentials };
      if (!creds.username && process.env.FIELDLINE_MQTT_USERNAME) creds.username = process.env.FIELDLINE_MQTT_USERNAME;
      if (!creds.password && process.env.FIELDLINE_MQTT_PASSWORD) creds.password = process.env.FIELDLINE_MQTT_PASSWORD;
      const options = {
        clientId: node.clientId,
        clean: true,
        reconnectPeriod: 2000,
        connectTimeout: 10_000,
        protocolVersion: 4,
      };
      if (creds.username) options.username = creds.username;
      if (creds.password) options.password = creds.password;
      if (config.rejectUnauthorized === false) options.rejectUnauthorized = false;
      node.client = mqtt.connect(node.url, options);
      node.client.on("connect", () => {
        setStatus("green", "dot", "connected");
        const filters = [...node.handlers.keys()];
        if (filters.length) node.client.subscribe(filters, { qos: 1 });
      });
      node.client.on("reconnect", () => setStatus("yellow", "ring", "connecting"));
      node.client.on("close", () => setStatus("red", "ring", "disconnected"));
      node.client.on("error", (err) => node.warn(`broker ${node.url}: ${err.message}`));
      node.client.on("message", (topic, payload, packet) => {
        for (const [filter, handlers] of node.handlers) {
          if (!matches(filter, topic)) continue;
          for (const handler of handlers) handler(topic, payload, packet);
        }
      });
    }

    node.register = function (user) {
      node.users.add(user);
      connect();
    };

    node.deregister = function (user, done) {
      node.users.delete(user);
      if (node.users.size === 0 && node.client) {
        const client = node.client;
        node.client = null;
        client.end(false, {}, () => done && done());
      } else if (done) done();
    };

    node.subscribe = function (filter, handler) {
      if (!node.handlers.has(filter)) node.handlers.set(filter, new Set());
      node.handlers.get(filter).add(handler);
      if (node.client && node.client.connected) node.client.subscribe(filter, { qos: 1 });
    };

    node.unsubscribe = function (filter, handler) {
      const set = node.handlers.get(filter);
      if (!set) return;
      set.delete(handler);
      if (set.size === 0) {
        node.handlers.delete(filter);
        if (node.client && node.client.connected) node.client.unsubscribe(filter);
      }
    };

    node.publish = function (topic, payload, options) {
      return new Promise((resolve, reject) => {
        if (!node.client) return reject(new Error("not connected to a Fieldline broker"));
        node.client.publish(topic, Buffer.from(payload), { qos: 1, ...options }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    };

    node.on("close", (done) => {
      const client = node.client;
      node.client = null;
      node.handlers.clear();
      if (client) client.end(true, {}, () => done());
      else done();
    });
  }

  // MQTT topic filter matching (MQTT-4.7): `+` one level, `#` the rest.
  function matches(filter, topic) {
    const f = filter.split("/");
    const t = topic.split("/");
    for (let i = 0; i < f.length; i++) {
      if (f[i] === "#") return true;
      if (i >= t.length) return false;
      if (f[i] !== "+" && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
  }

  RED.nodes.registerType("fieldline-broker", FieldlineBrokerNode, {
    credentials: { username: { type: "text" }, password: { type: "password" } },
  });
};
