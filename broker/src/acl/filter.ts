/** MQTT topic filter algebra (MQTT-4.7): does one filter cover everything another matches? */

/** True when every topic matched by `inner` is also matched by `outer`. */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split("/");
  const i = inner.split("/");
  for (let k = 0; k < o.length; k++) {
    const ol = o[k]!;
    if (ol === "#") return true; // MQTT-4.7.1-2: matches this level and every child
    const il = i[k];
    if (il === undefined) return false;
    if (il === "#") return false;
    if (ol === "+") continue;
    if (il === "+" || il !== ol) return false;
  }
  return o.length === i.length;
}

/** Topics and filters starting with `$` are reserved for the server (MQTT-4.7.2-1). */
export function isReserved(topicOrFilter: string): boolean {
  return topicOrFilter.charCodeAt(0) === 36;
}
