import { vi } from "vitest";

type Handler = (request: Request) => Response | Promise<Response>;

/** Outside services faked in this test file, by origin. Everything else goes to the real fetch. */
const handlers = new Map<string, Handler>();

/**
 * Answers requests to `origin` with `handler`, at the fetch boundary. Several fakes (Plausible, an
 * OIDC issuer) share one spy on `fetch`, so installing one never hides another. Returns a remover.
 */
export function interceptOrigin(origin: string, handler: Handler): () => void {
  if (!vi.isMockFunction(globalThis.fetch)) {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const fake = handlers.get(new URL(request.url).origin);
      return fake ? fake(request) : realFetch(input, init);
    });
  }
  handlers.set(origin, handler);
  return () => {
    if (handlers.get(origin) === handler) handlers.delete(origin);
  };
}
