/**
 * Everything sent to Sentry passes through here: events, transactions, spans,
 * breadcrumbs and logs. Secrets are removed wherever they sit (a header, a span
 * attribute, a URL, a message), and what would identify a bearer-key user
 * (/mcp, /sse) is removed unless the data is marked as coming from /internal,
 * where calls are attributed to a signed-in member.
 */

export const FILTERED = "[Filtered]";

/** Marks a span or event as served on /internal, where the user and tool inputs/outputs may be kept. */
export const ENDPOINT_ATTRIBUTE = "plausible_mcp.endpoint";
export const ATTRIBUTED_ENDPOINT = "internal";

// Compared after lower-casing and dropping everything but letters and digits, on the last dotted
// segment of a key: "Set-Cookie", "http.request.header.authorization" and "client_secret" all match.
const SECRET_KEYS = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "cookies",
  "setcookie",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "token",
  "code",
  "codeverifier",
  "clientsecret",
  "secret",
  "state",
  "nonce",
  "password",
  "apikey",
  "xapikey",
  "keyhash",
  "querystring",
  "query",
  // A session id lets whoever holds it try the session: "mcp.session.id", "mcp-session-id", "sessionId".
  "sessionid",
  "mcpsessionid",
]);

// Identity and content that only /internal may send.
const ANONYMOUS_DROPPED_ATTRIBUTES = [
  /^user\./,
  /^client\.(address|port)$/,
  /^mcp\.request\.argument\./,
  /^mcp\.tool\.result\.(\d+\.)?(content|uri|name|mime_type|resource_uri|resource_mime_type)$/,
  /^mcp\.resource\.uri$/,
  /^mcp\.logging\.message$/,
];

const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/:%]+=*/gi;
// "code=…", "state": "…", access_token: … in form bodies, JSON text and messages.
const SECRET_PAIR =
  /(["']?\b(?:access_token|refresh_token|id_token|client_secret|code_verifier|code|state|token)\b["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi;
// Any query string after a URL or a path: /callback and /authorize carry codes and state, others need none.
const QUERY_STRING = /([A-Za-z0-9\-._~%/:\]]+)\?[^\s"'<>#]+/g;
// 64 hex digits: an MCP session id (also inside a session object's name, "sse:<id>") or a key's digest.
const SESSION_ID_OR_DIGEST = /\b[0-9a-f]{64}\b/gi;

function isSecretKey(key: string): boolean {
  const normalized = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const last = key.split(".").at(-1) ?? key;
  return SECRET_KEYS.has(normalized(last)) || SECRET_KEYS.has(normalized(key));
}

/** A string with authorization values, credential pairs and query strings replaced. */
export function redactString(text: string): string {
  return text
    .replace(AUTH_SCHEME, `$1 ${FILTERED}`)
    .replace(SECRET_PAIR, `$1${FILTERED}`)
    .replace(QUERY_STRING, `$1?${FILTERED}`)
    .replace(SESSION_ID_OR_DIGEST, FILTERED);
}

/** A deep copy of `value` with secret-named entries filtered and every string redacted. */
export function redactValue(value: unknown, key?: string, seen = new WeakSet<object>()): unknown {
  if (key !== undefined && isSecretKey(key) && value !== null && typeof value !== "number" && typeof value !== "boolean") return FILTERED;
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return FILTERED;
  seen.add(value);
  if (Array.isArray(value)) {
    // Header lists come as [name, value] pairs.
    if (value.length === 2 && typeof value[0] === "string" && isSecretKey(value[0])) return [value[0], FILTERED];
    return value.map((item) => redactValue(item, undefined, seen));
  }
  const copy: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) copy[name] = redactValue(item, name, seen);
  return copy;
}

function dropAnonymousAttributes(attributes: Record<string, unknown> | undefined): void {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) {
    if (ANONYMOUS_DROPPED_ATTRIBUTES.some((pattern) => pattern.test(name))) delete attributes[name];
  }
}

function attributeValue(attributes: Record<string, unknown> | undefined, name: string): unknown {
  const raw = attributes?.[name];
  // Serialized attributes are { value, type }; in-memory ones are plain values.
  return raw !== null && typeof raw === "object" && "value" in raw ? raw.value : raw;
}

interface ScrubbableEvent {
  user?: unknown;
  tags?: Record<string, unknown>;
  request?: object;
  contexts?: object;
  spans?: object[];
}

/**
 * An error or transaction event as it may be sent. Request cookies, bodies and query strings are
 * never sent; the user and MCP inputs/outputs only stay on events tagged as /internal.
 */
export function scrubEvent<E extends ScrubbableEvent>(event: E): E {
  const scrubbed = redactValue(event) as E;
  const request = scrubbed.request as Record<string, unknown> | undefined;
  if (request) {
    delete request.cookies;
    delete request.data;
    delete request.query_string;
  }
  const attributed = scrubbed.tags?.endpoint === ATTRIBUTED_ENDPOINT;
  if (!attributed) {
    delete scrubbed.user;
    dropAnonymousAttributes((scrubbed.contexts as { trace?: { data?: Record<string, unknown> } } | undefined)?.trace?.data);
    for (const span of (scrubbed.spans ?? []) as { data?: Record<string, unknown> }[]) dropAnonymousAttributes(span.data);
  } else if (scrubbed.user && typeof scrubbed.user === "object") {
    // The member's email identifies them; nothing else about them (address, id) is needed.
    const { email } = scrubbed.user as { email?: unknown };
    scrubbed.user = typeof email === "string" ? { email } : undefined;
  }
  return scrubbed;
}

/** A span (streamed or static) as it may be sent; identity and MCP content only stay on /internal spans. */
export function scrubSpan<S extends { attributes?: Record<string, unknown>; data?: Record<string, unknown> }>(span: S): S {
  const scrubbed = redactValue(span) as S;
  const attributes = scrubbed.attributes ?? scrubbed.data;
  if (attributeValue(attributes, ENDPOINT_ATTRIBUTE) !== ATTRIBUTED_ENDPOINT) dropAnonymousAttributes(attributes);
  return scrubbed;
}

/** Breadcrumbs ride along with later events of the same request, so they are redacted as they are recorded. */
export function scrubBreadcrumb<B extends object>(breadcrumb: B): B {
  return redactValue(breadcrumb) as B;
}
