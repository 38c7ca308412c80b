import { afterEach, beforeEach, vi } from "vitest";

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

/** One webhook delivery a sink received: its path and JSON body. */
export interface SinkDelivery {
  path: string;
  body: Record<string, unknown>;
}

/**
 * A webhook receiver at `origin` for every test of the file: what it received in the current test,
 * answering each delivery with `status` (200 unless the test sets another).
 */
export function useWebhookSink(origin: string): { received: SinkDelivery[]; status: number } {
  const sink = { received: [] as SinkDelivery[], status: 200 };
  let remove = () => {};
  beforeEach(() => {
    sink.received = [];
    sink.status = 200;
    remove = interceptOrigin(origin, async (request) => {
      sink.received.push({ path: new URL(request.url).pathname, body: (await request.json()) as Record<string, unknown> });
      return new Response("ok", { status: sink.status });
    });
  });
  afterEach(() => remove());
  return sink;
}
