import { digestStoreName, type Subscriber } from "../agent/digest-store";
import type { DigestSubscriptions } from "../tools/digest-subscriptions";

/**
 * The tools' subscriptions port over a scope's digest store: the team's on /internal (subscribing as
 * the member), the key's own elsewhere (named by the key's digest; the key is kept sealed for the
 * scheduled runs, which query Plausible with it).
 */
export function storedDigestSubscriptions(env: Env, subscriber: Subscriber, keyDigest: string): DigestSubscriptions {
  const store = env.DIGESTS.getByName(digestStoreName(subscriber.kind === "member" ? { kind: "team" } : { kind: "key", keyDigest }));
  return {
    subscribe: (subscription) => store.subscribe(subscription, subscriber),
    list: () => store.list(),
    unsubscribe: async (id) => (await store.unsubscribe(id)) !== undefined,
  };
}
