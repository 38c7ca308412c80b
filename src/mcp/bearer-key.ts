/** RFC 6750 b64token: what a Plausible API key can look like in an Authorization header. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]{8,256}=*)$/;

/** The caller's own Plausible API key from `Authorization: Bearer <key>`, or nothing when absent or malformed. */
export function bearerKey(headers: Headers | Record<string, string | string[] | undefined> | undefined): string | undefined {
  const raw = headers instanceof Headers ? headers.get("authorization") : headers?.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value ? BEARER.exec(value.trim())?.[1] : undefined;
}

/** 401 for a missing or malformed key: says how to pass one, and (unlike /internal) points to no OAuth metadata. */
export function missingKeyResponse(): Response {
  return Response.json(
    {
      error: "invalid_request",
      error_description:
        'This endpoint needs your Plausible API key as "Authorization: Bearer <key>". Create one in ' +
        "Plausible under Account settings > API keys, e.g. claude mcp add --transport http plausible " +
        '<url>/mcp --header "Authorization: Bearer <key>".',
    },
    { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="plausible-mcp"' } },
  );
}
