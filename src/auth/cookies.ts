/** The cookies of sign-in (the /internal subject cookie, /admin's session and sign-in cookies) and the keys they are made with. */

/** The value of cookie `name` on `request`, or undefined when it is absent or empty. */
export function readCookie(request: Request, name: string): string | undefined {
  for (const pair of (request.headers.get("Cookie") ?? "").split(";")) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return value.join("=") || undefined;
  }
  return undefined;
}

/**
 * A Set-Cookie value for this origin only, never readable by scripts, and sent on the top-level
 * navigation back from the identity provider (SameSite=Lax). An age of 0 clears the cookie.
 */
export function serverCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
}

/** HMAC-SHA-256 of `message` under `secret`: how a cookie key or an opaque name is derived from one of the server's secrets. */
export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}
