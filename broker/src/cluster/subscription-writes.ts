/**
 * One subscription write per SUBSCRIBE packet, one at a time per client, in front of
 * aedes-persistence-redis.
 *
 * Aedes 1.2.0 (lib/handlers/subscribe.js, `storeSubscriptions`) calls
 * `persistence.addSubscriptions(client, packet.subscriptions)` once per filter of a
 * clean-session-off SUBSCRIBE, every time with the packet's whole filter list, all at once.
 * aedes-persistence-redis 11.2 answers each call after its own `$SYS/sub/add` broadcast comes
 * back through the emitter, and its BroadcastPersistence (aedes-persistence 10.3) keeps the
 * waiting callback in a Map keyed by client id and the *first* filter of the list. Two calls
 * for one packet share that key: the second replaces the first's callback, the first
 * broadcast to return resolves the second call, and the first call never resolves. Aedes
 * waits for every filter before it writes SUBACK, so a two-filter SUBSCRIBE is never
 * acknowledged. (With Aedes' in-process emitter the first broadcast usually returns before
 * the second call registers and the race is won; through mqemitter-redis it takes a Redis
 * round trip and is always lost.) The same collision hits two SUBSCRIBE (or UNSUBSCRIBE) packets of one client
 * handled together (Aedes handles the packets of one read chunk concurrently) whose first
 * filter is the same.
 *
 * Here: repeated calls with the same list (the same packet) share one write, and a client's
 * writes run one after another, so no two of them wait under the same key. Order of a
 * client's subscribe and unsubscribe writes is kept as Aedes issued them.
 */

type Write = (client: { id: string }, subs: unknown[]) => Promise<unknown>;
type Callback = (err: Error | null, client?: unknown) => void;

export interface SubscriptionWrites {
  addSubscriptions(client: { id: string }, subs: unknown[], cb?: Callback): unknown;
  removeSubscriptions(client: { id: string }, subs: unknown[], cb?: Callback): unknown;
}

export function serializeSubscriptionWrites<P extends SubscriptionWrites>(persistence: P): P {
  const tails = new Map<string, Promise<unknown>>();
  const sameList = new WeakMap<unknown[], Promise<unknown>>();

  function queue(clientId: string, run: () => Promise<unknown>): Promise<unknown> {
    const prev = tails.get(clientId) ?? Promise.resolve();
    const next = prev.then(run, run);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    tails.set(clientId, tail);
    void tail.then(() => {
      if (tails.get(clientId) === tail) tails.delete(clientId);
    });
    return next;
  }

  function wrap(original: Write): SubscriptionWrites["addSubscriptions"] {
    return (client, subs, cb) => {
      let p = sameList.get(subs);
      if (!p) {
        p = queue(client.id, () => original(client, subs));
        sameList.set(subs, p);
      }
      if (!cb) return p;
      p.then(
        () => cb(null, client),
        (err: Error) => cb(err),
      );
      return undefined;
    };
  }

  const add = persistence.addSubscriptions.bind(persistence) as Write;
  const remove = persistence.removeSubscriptions.bind(persistence) as Write;
  persistence.addSubscriptions = wrap(add);
  persistence.removeSubscriptions = wrap(remove);
  return persistence;
}
