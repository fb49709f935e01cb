// Acknowledge: tells the cloud processor's operator API that someone has seen an alert.
module.exports = function (RED) {
  function FieldlineAlertAckNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const base = (config.api || "").replace(/\/+$/, "");

    node.on("input", async (msg, send, done) => {
      const id = msg.alertId ?? (msg.payload && msg.payload.id);
      if (typeof id !== "string" || id.length === 0) {
        done(new Error("acknowledge needs msg.alertId or msg.payload.id"));
        return;
      }
      const by = msg.user || config.operator || "node-red";
      const headers = { "content-type": "application/json" };
      const token = node.credentials && node.credentials.token;
      if (token) headers.authorization = `Bearer ${token}`;
      try {
        const res = await fetch(`${base}/alerts/${encodeURIComponent(id)}/ack`, {
          method: "POST",
          headers,
          body: JSON.stringify({ by }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        let body;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = text;
        }
        if (!res.ok) {
          const why = res.status === 401 ? " (token missing, wrong or revoked)" : res.status === 403 ? " (token's role may not acknowledge)" : "";
          node.status({ fill: "red", shape: "dot", text: `HTTP ${res.status}${why}` });
          done(new Error(`acknowledge ${id}: HTTP ${res.status} ${typeof body === "string" ? body : JSON.stringify(body)}`));
          return;
        }
        node.status({ fill: "green", shape: "dot", text: `acknowledged ${id}` });
        send({ ...msg, statusCode: res.status, payload: body });
        done();
      } catch (err) {
        node.status({ fill: "red", shape: "ring", text: "processor unreachable" });
        done(err);
      }
    });
  }
  RED.nodes.registerType("fieldline-alert-ack", FieldlineAlertAckNode, {
    credentials: { token: { type: "password" } },
  });
};
