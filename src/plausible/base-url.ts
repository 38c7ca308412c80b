import { PlausibleConfigError } from "./errors";

const DEFAULT_BASE_URL = "https://plausible.io/";

const EXAMPLE =
  "Use e.g. https://plausible.io or https://plausible.example.com (http only for a local server such as http://127.0.0.1:8000).";

// The API key travels with every request, so it may only go over TLS, or in
// clear text to this machine. The raw value is never echoed back: a mistyped
// URL may hold credentials.
export function parsePlausibleBaseUrl(raw: string | undefined): URL {
  const trimmed = raw?.trim() ?? "";
  if (trimmed === "") return new URL(DEFAULT_BASE_URL);

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new PlausibleConfigError(`The Plausible base URL is not a valid absolute URL. ${EXAMPLE}`);
  }

  if (url.username !== "" || url.password !== "") {
    throw new PlausibleConfigError(
      `The Plausible base URL must not contain a user name or password; the API key is sent as a Bearer token instead. ${EXAMPLE}`,
    );
  }
  if (url.protocol === "http:") {
    if (!isLoopbackHost(url.hostname)) {
      throw new PlausibleConfigError(
        `The Plausible base URL uses http for ${url.hostname}; the API key would travel unencrypted. Use ` +
          "https, or http only for localhost/127.0.0.1/[::1].",
      );
    }
  } else if (url.protocol !== "https:") {
    throw new PlausibleConfigError(`The Plausible base URL uses ${url.protocol} but must use https. ${EXAMPLE}`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new PlausibleConfigError(`The Plausible base URL must not have a query string or fragment. ${EXAMPLE}`);
  }

  // A trailing slash makes API paths resolve under a sub-path install
  // (https://example.com/plausible/ + api/v2/query).
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

function isLoopbackHost(hostname: string): boolean {
  // URL has already normalised IPv4 forms such as 127.1 to 127.0.0.1.
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
