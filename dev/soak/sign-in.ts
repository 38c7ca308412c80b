// Signs a user in to /internal without a browser: dynamic client registration, the consent page
// (read and posted as a browser would, with its cookies), the local issuer, the callback, and the
// token exchange with PKCE. Returns the access token an MCP client sends as a bearer token.

import { createHash, randomBytes } from "node:crypto";

/** Never contacted: the code is read from the Location that points at it. */
const REDIRECT_URI = "http://127.0.0.1:9/callback";

/** Cookies by name, for every loopback port alike, as a browser keeps them for one host. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) headers.set("Cookie", [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = cookie.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === "" || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

async function expectStatus(response: Response, status: number, step: string): Promise<Response> {
  if (response.status !== status)
    throw new Error(`Sign-in failed at ${step}: expected ${status}, got ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return response;
}

/** The whole authorization code flow for whoever the local issuer signs in right now. */
export async function signInToInternal(workerUrl: string): Promise<string> {
  const jar = new CookieJar();
  const registration = await expectStatus(
    await jar.fetch(`${workerUrl}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "Plausible MCP soak",
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      }),
    }),
    201,
    "registration",
  );
  const { client_id: clientId } = (await registration.json()) as { client_id: string };

  const verifier = base64url(randomBytes(32));
  const authorize = new URL(`${workerUrl}/authorize`);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    state: base64url(randomBytes(12)),
    code_challenge: base64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    resource: `${workerUrl}/internal`,
  })) {
    authorize.searchParams.set(name, value);
  }

  let response = await jar.fetch(authorize);
  if (response.status === 200) {
    const handle = /name="handle" value="([^"]+)"/.exec(await response.text())?.[1];
    if (!handle) throw new Error("Sign-in failed: the consent page has no handle.");
    response = await jar.fetch(`${workerUrl}/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ handle: handle.replaceAll("&amp;", "&"), decision: "approve" }).toString(),
    });
  }
  // Worker -> issuer -> worker's callback -> the client's redirect URI.
  let location = response.headers.get("Location");
  for (let hop = 0; location && !location.startsWith(REDIRECT_URI) && hop < 5; hop += 1) {
    response = await jar.fetch(new URL(location, response.url || workerUrl));
    location = response.headers.get("Location");
  }
  const code = location?.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get("code") : null;
  if (!code)
    throw new Error(`Sign-in failed: no authorization code (last answer ${response.status}: ${(await response.text()).slice(0, 300)})`);

  const token = await expectStatus(
    await jar.fetch(`${workerUrl}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        client_id: clientId,
        code_verifier: verifier,
        resource: `${workerUrl}/internal`,
      }).toString(),
    }),
    200,
    "token exchange",
  );
  return ((await token.json()) as { access_token: string }).access_token;
}
