/**
 * Loopback hosts, where plain `http` is acceptable because traffic never leaves the machine
 * (wrangler dev, a local fake issuer). Everything else must use https.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** An https URL, or an http URL on a loopback host. */
export function isSecureOrLoopbackUrl(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname));
}
