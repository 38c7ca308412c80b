import { describe, expect, it, vi } from "vitest";
import {
  PlausibleApiError,
  PlausibleClient,
  PlausibleResponseError,
  PlausibleUnavailableError,
  parsePlausibleBaseUrl,
  type QueryBody,
} from "../../src/plausible";

const API_KEY = "plausible-test-key-3f9a";

const body: QueryBody = { site_id: "example.com", metrics: ["visitors"], date_range: "7d" };
const okAnswer = { results: [{ metrics: [42], dimensions: [] }], meta: {}, query: { site_id: "example.com", metrics: ["visitors"] } };

type Answer = (init: RequestInit | undefined) => Response | Promise<Response>;

function clientAnswering(answers: Answer[], options: { timeoutMs?: number; maxResponseBytes?: number } = {}) {
  let calls = 0;
  const fetch = vi.fn<typeof globalThis.fetch>(async (_input, init) => {
    const answer = answers[calls++];
    if (answer === undefined) throw new Error(`fake Plausible got an unexpected call #${calls}`);
    return answer(init);
  });
  const retryDelayMs = vi.fn(() => 0);
  const client = new PlausibleClient({
    baseUrl: parsePlausibleBaseUrl("https://plausible.example.com"),
    apiKey: API_KEY,
    fetch,
    retryDelayMs,
    ...options,
  });
  return { client, fetch, retryDelayMs };
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });

const error = (text: string, status: number) => () => json({ error: text }, status);

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error("expected the call to fail");
  return outcome;
}

// Plausible's exact texts, from API-NOTES.
const plausibleErrors: [number, string][] = [
  [400, "Metric `conversion_rate` can only be queried with event:goal filters or dimensions."],
  [400, "Metric `scroll_depth` can only be queried with event:page filters or dimensions."],
  [400, "Metric `views_per_visit` cannot be queried with `dimensions`."],
  [400, "Session metric(s) `bounce_rate` cannot be queried along with event dimension(s) `event:props:foo`"],
  [400, "Event metric(s) `events` cannot be queried along with session dimension(s) `visit:exit_page`"],
  [
    400,
    "Invalid filters. The goal `Signup` is not configured for this site. Find out how to configure " +
      "goals here: https://plausible.io/docs/stats-api#filtering-by-goals",
  ],
  [400, "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code."],
  [400, '#/metrics/1: Invalid metric "baa"\n#/date_range: Invalid date range "bad_period"'],
  [400, "#/pagination/limit: Expected the value to be <= 10000"],
  [400, "Missing site ID. Please provide the required site_id parameter with your request."],
  [401, "Missing API key. Please use a valid Plausible API key as a Bearer Token."],
  [401, "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested."],
  // The two 402 texts are from Plausible's auth plug (not in API-NOTES).
  [
    402,
    "The account that owns this API key does not have access to Stats API. Please make sure you're " +
      "using the API key of a subscriber account and that the subscription plan includes Stats API",
  ],
  [
    402,
    "This Plausible site is locked due to missing active subscription. In order to access it, the " +
      "site owner should subscribe to a suitable plan",
  ],
  [404, "Site could not be found"],
  [429, "Too many API requests. Your API key is limited to 600 requests per hour. Please contact us to request more capacity."],
];

describe("Plausible's 4xx answers", () => {
  it.each(plausibleErrors)("%i keeps Plausible's text verbatim: %s", async (status, text) => {
    const { client, fetch } = clientAnswering([error(text, status)]);

    const thrown = await failure(client.query(body));

    expect(thrown).toBeInstanceOf(PlausibleApiError);
    const apiError = thrown as PlausibleApiError;
    expect(apiError.status).toBe(status);
    expect(apiError.plausibleMessage).toBe(text);
    expect(apiError.message).toBe(`Plausible answered ${status}: ${text}`);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("429 per hour: reports the hour window and does not retry", async () => {
    const { client, fetch } = clientAnswering([error(plausibleErrors.at(-1)![1], 429), () => json(okAnswer)]);

    const thrown = (await failure(client.query(body))) as PlausibleApiError;

    expect(thrown.retryAfterSeconds).toBe(3600);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("429 burst limit: reports the S of 'N per S seconds'", async () => {
    const text = "Too many API requests in a short period of time. The limit is 60 per 10 seconds. Please throttle your requests.";
    const { client, fetch } = clientAnswering([error(text, 429)]);

    const thrown = (await failure(client.query(body))) as PlausibleApiError;

    expect(thrown.plausibleMessage).toBe(text);
    expect(thrown.retryAfterSeconds).toBe(10);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("429 with a Retry-After header: the header wins", async () => {
    const { client } = clientAnswering([() => json({ error: plausibleErrors.at(-1)![1] }, 429, { "retry-after": "120" })]);

    expect(((await failure(client.query(body))) as PlausibleApiError).retryAfterSeconds).toBe(120);
  });

  it("a 4xx that is not JSON still names the status and shows the start of the body", async () => {
    const page = `<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>${"x".repeat(500)}</body></html>`;
    const { client } = clientAnswering([() => new Response(page, { status: 404, headers: { "content-type": "text/html" } })]);

    const thrown = (await failure(client.listSites())) as PlausibleApiError;

    expect(thrown).toBeInstanceOf(PlausibleApiError);
    expect(thrown.status).toBe(404);
    expect(thrown.message).toMatch(
      /^Plausible answered 404 without its usual \{"error": "\.\.\."\} body: <!DOCTYPE html><html><head><title>404 Not Found/,
    );
    expect(thrown.plausibleMessage.length).toBeLessThanOrEqual(201);
  });

  it("a 4xx with an empty body says so", async () => {
    const { client } = clientAnswering([() => new Response(null, { status: 403 })]);

    const thrown = (await failure(client.query(body))) as PlausibleApiError;

    expect(thrown.status).toBe(403);
    expect(thrown.message).toContain("(empty body)");
  });
});

describe("retries", () => {
  it("retries a 5xx once and returns the second answer", async () => {
    const { client, fetch, retryDelayMs } = clientAnswering([() => new Response("Bad Gateway", { status: 502 }), () => json(okAnswer)]);

    await expect(client.query(body)).resolves.toEqual(okAnswer);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(retryDelayMs).toHaveBeenCalledWith(1);
  });

  it("gives up after a second 5xx with PlausibleUnavailableError(server_error)", async () => {
    const { client, fetch } = clientAnswering([
      () => new Response("oops", { status: 500 }),
      () => new Response("Service Unavailable", { status: 503 }),
      () => json(okAnswer),
    ]);

    const thrown = (await failure(client.query(body))) as PlausibleUnavailableError;

    expect(thrown).toBeInstanceOf(PlausibleUnavailableError);
    expect(thrown.reason).toBe("server_error");
    expect(thrown.status).toBe(503);
    expect(thrown.message).toMatch(/plausible\.example\.com answered 503, twice/);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("retries a network error once, then PlausibleUnavailableError(network)", async () => {
    const refused = () => Promise.reject(new TypeError("Network connection lost."));
    const { client, fetch } = clientAnswering([refused, refused]);

    const thrown = (await failure(client.listGoals("example.com"))) as PlausibleUnavailableError;

    expect(thrown.reason).toBe("network");
    expect(thrown.message).toMatch(/Could not reach Plausible at https:\/\/plausible\.example\.com, twice \(Network connection lost\.\)/);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("recovers when the retry after a network error succeeds", async () => {
    const { client } = clientAnswering([() => Promise.reject(new TypeError("fetch failed")), () => json(21)]);

    await expect(client.realtimeVisitors("example.com")).resolves.toBe(21);
  });

  it("times out through the request's abort signal, retries once, then PlausibleUnavailableError(timeout)", async () => {
    // Never answers; only the client's own timeout signal ends the wait.
    const hang: Answer = (init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const { client, fetch } = clientAnswering([hang, hang], { timeoutMs: 5 });

    const thrown = (await failure(client.query(body))) as PlausibleUnavailableError;

    expect(thrown.reason).toBe("timeout");
    expect(thrown.message).toMatch(/did not answer within 5 ms, twice/);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("does not retry a 4xx", async () => {
    const { client, fetch } = clientAnswering([error("Site could not be found", 404), () => json(okAnswer)]);

    await expect(client.listGoals("nope.example")).rejects.toBeInstanceOf(PlausibleApiError);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe("redirects", () => {
  it("asks fetch not to follow them and turns a 3xx into PlausibleResponseError", async () => {
    const { client, fetch } = clientAnswering([
      () => new Response(null, { status: 301, headers: { location: "https://elsewhere.example/api/v2/query" } }),
    ]);

    const thrown = await failure(client.query(body));

    expect(fetch.mock.calls[0]?.[1]?.redirect).toBe("manual");
    expect(thrown).toBeInstanceOf(PlausibleResponseError);
    expect(thrown.message).toMatch(/redirect to https:\/\/elsewhere\.example\/api\/v2\/query \(status 301\)/);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe("response size cap", () => {
  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    const { client } = clientAnswering([() => json(okAnswer, 200, { "content-length": "5000001" })]);

    const thrown = await failure(client.query(body));

    expect(thrown).toBeInstanceOf(PlausibleResponseError);
    expect(thrown.message).toMatch(/declares 5000001 bytes, over the 5000000-byte limit/);
  });

  it("counts bytes while streaming when there is no Content-Length", async () => {
    const chunk = new TextEncoder().encode(`{"results":[${"0,".repeat(400)}`);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(chunk); // endless: only the cap stops the reading
      },
    });
    const { client } = clientAnswering([() => new Response(stream, { headers: { "content-type": "application/json" } })], {
      maxResponseBytes: 10_000,
    });

    const thrown = await failure(client.query(body));

    expect(thrown).toBeInstanceOf(PlausibleResponseError);
    expect(thrown.message).toMatch(/ran past 10000 bytes, over the 10000-byte limit/);
  });

  it("reads a body of declared length whole", async () => {
    const text = JSON.stringify(okAnswer);
    const { client } = clientAnswering([
      () => new Response(text, { headers: { "content-length": String(new TextEncoder().encode(text).byteLength) } }),
    ]);

    await expect(client.query(body)).resolves.toEqual(okAnswer);
  });

  it("still counts the bytes of a compressed body, whose declared length says nothing of what it inflates to", async () => {
    const chunk = new TextEncoder().encode(`{"results":[${"0,".repeat(400)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Forty chunks, four times the cap: read whole, they would be kept in memory.
        if (sent++ < 40) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const headers = { "content-type": "application/json", "content-encoding": "gzip", "content-length": "100" };
    const { client } = clientAnswering([() => new Response(stream, { headers })], { maxResponseBytes: 10_000 });

    const thrown = await failure(client.query(body));

    expect(thrown).toBeInstanceOf(PlausibleResponseError);
    expect(thrown.message).toMatch(/ran past 10000 bytes, over the 10000-byte limit/);
  });

  it("accepts a body of exactly the cap", async () => {
    const text = JSON.stringify(okAnswer);
    const { client } = clientAnswering([() => new Response(text)], { maxResponseBytes: new TextEncoder().encode(text).byteLength });

    await expect(client.query(body)).resolves.toEqual(okAnswer);
  });
});

describe("malformed answers", () => {
  it("turns a 200 with a non-JSON body into PlausibleResponseError quoting its start", async () => {
    const { client, fetch } = clientAnswering([() => new Response("<html><body>Welcome to nginx!</body></html>", { status: 200 })]);

    const thrown = await failure(client.query(body));

    expect(thrown).toBeInstanceOf(PlausibleResponseError);
    expect(thrown.message).toMatch(/POST \/api\/v2\/query is not valid JSON \(it starts: <html><body>Welcome to nginx!/);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("turns truncated JSON into PlausibleResponseError", async () => {
    const { client } = clientAnswering([() => new Response('{"results": [{"metrics": [1')]);

    await expect(client.query(body)).rejects.toBeInstanceOf(PlausibleResponseError);
  });
});

describe("the API key never reaches an error message", () => {
  const echoKey = `token ${API_KEY} rejected`;
  const cases: [string, Answer[]][] = [
    ["a JSON 4xx that echoes it", [() => json({ error: echoKey }, 401)]],
    ["a non-JSON 4xx that echoes it", [() => new Response(`Authorization: Bearer ${API_KEY}`, { status: 400 })]],
    ["a non-JSON 200 that echoes it", [() => new Response(`<p>Bearer ${API_KEY}</p>`)]],
    // The quoted start of the body (200 characters) ends inside the key: the key is struck before the body is cut.
    ["a non-JSON 200 whose quoted start ends inside it", [() => new Response(`${"x".repeat(184)} ${API_KEY}`)]],
    ["a 200 of the wrong shape that carries it", [() => json({ results: `Bearer ${API_KEY}`, meta: {}, query: {} })]],
    [
      "a redirect whose Location carries it",
      [() => new Response(null, { status: 302, headers: { location: `https://evil.example/?k=${API_KEY}` } })],
    ],
    ["a network error that mentions it", [() => Promise.reject(new TypeError(echoKey)), () => Promise.reject(new TypeError(echoKey))]],
    ["a 5xx", [() => new Response(echoKey, { status: 500 }), () => new Response(echoKey, { status: 500 })]],
  ];

  it.each(cases)("%s", async (_name, answers) => {
    const { client } = clientAnswering(answers);

    const thrown = await failure(client.query(body));

    expect(thrown.message).not.toContain(API_KEY);
    expect(thrown.message).not.toContain(API_KEY.slice(0, 12));
    expect(String(thrown)).not.toContain(API_KEY);
    expect(JSON.stringify({ ...thrown })).not.toContain(API_KEY);
    expect(thrown.cause).toBeUndefined();
  });
});
