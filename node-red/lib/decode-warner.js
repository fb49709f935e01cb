// Logs a bad payload once per (node, reason) and counts the rest in the node's status.
module.exports = function warnOnce(node) {
  const seen = new Set();
  let bad = 0;
  return function (topic, error) {
    bad += 1;
    node.status({ fill: "yellow", shape: "dot", text: `${bad} bad payload(s)` });
    if (seen.has(error.reason)) return;
    seen.add(error.reason);
    node.warn(`${topic}: ${error.message}`);
  };
};
