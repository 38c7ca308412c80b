/**
 * The part of a browser an OAuth sign-in needs, without a browser: cookies per host (as a browser
 * keeps them, shared across ports), redirects followed one by one, and HTML forms submitted the way
 * clicking their button would. Used to walk an authorization URL a command-line client printed, up to
 * that client's own loopback callback.
 */

export interface FormChoice {
  /** The visible text of the submit button to press, e.g. "Approve" or "Connect". */
  button: string;
  /** Values typed into the form's visible fields, by name. */
  fields?: Record<string, string>;
}

export interface WalkResult {
  /** Every URL visited, in order (redirects and form submissions). */
  visited: string[];
  /** The response of the first URL starting with `until`, its body read. */
  status: number;
  body: string;
}

const MAX_STEPS = 20;

/**
 * Follows `start` through redirects and pages, pressing `choice.button` on each page with a form,
 * until a URL starts with `until`; that last request is made too (it delivers the code). Throws,
 * with the page's status and text, on any page it cannot continue from.
 */
export async function walkAuthorization(start: string, until: string, choice: FormChoice): Promise<WalkResult> {
  const jar = new CookieJar();
  const visited: string[] = [];
  let next: { url: URL; method: "GET" | "POST"; body?: URLSearchParams; origin?: string } = { url: new URL(start), method: "GET" };
  for (let step = 0; step < MAX_STEPS; step += 1) {
    visited.push(next.url.href);
    const headers = new Headers({ Accept: "text/html" });
    const cookie = jar.header(next.url);
    if (cookie) headers.set("Cookie", cookie);
    if (next.origin) headers.set("Origin", next.origin);
    const response = await fetch(next.url, { method: next.method, headers, body: next.body, redirect: "manual" });
    jar.store(next.url, response.headers.getSetCookie());
    if (next.url.href.startsWith(until)) return { visited, status: response.status, body: await response.text() };

    const location = response.headers.get("Location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      next = { url: new URL(location, next.url), method: "GET" };
      continue;
    }
    const page = await response.text();
    if (response.status !== 200)
      throw new Error(`${next.method} ${next.url.origin}${next.url.pathname} answered ${response.status}: ${textOf(page)}`);
    const form = submission(page, choice);
    if (!form) throw new Error(`No form with a "${choice.button}" button at ${next.url.origin}${next.url.pathname}: ${textOf(page)}`);
    next = { url: new URL(form.action, next.url), method: "POST", body: form.body, origin: next.url.origin };
  }
  throw new Error(`No redirect to ${until} after ${MAX_STEPS} steps: ${visited.join(" -> ")}`);
}

/** The form holding the button, as the browser would post it: hidden inputs, the typed fields, the button's own name and value. */
function submission(page: string, choice: FormChoice): { action: string; body: URLSearchParams } | undefined {
  for (const [, formAttributes, inner] of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = attributesOf(formAttributes!);
    if ((attributes.method ?? "get").toLowerCase() !== "post") continue;
    const button = [...inner!.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].find(([, , label]) => textOf(label!) === choice.button);
    if (!button) continue;
    const body = new URLSearchParams();
    for (const [, inputAttributes] of inner!.matchAll(/<input\b([^>]*)>/gi)) {
      const input = attributesOf(inputAttributes!);
      if (input.type === "hidden" && input.name) body.append(input.name, input.value ?? "");
    }
    for (const [name, value] of Object.entries(choice.fields ?? {})) body.append(name, value);
    const pressed = attributesOf(button[1]!);
    if (pressed.name) body.append(pressed.name, pressed.value ?? "");
    return { action: attributes.action ?? "", body };
  }
  return undefined;
}

function attributesOf(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, value] of source.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attributes[name!.toLowerCase()] = decodeEntities(value ?? "");
  return attributes;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A page's visible text, shortened, for an error message. */
function textOf(html: string): string {
  return decodeEntities(html.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, " "))
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 400);
}

/** Cookies by host name and name; `Max-Age=0` deletes. Path, expiry dates and `Secure` are not needed on loopback. */
class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.byHost.get(url.hostname) ?? new Map<string, string>())].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  store(url: URL, setCookies: string[]): void {
    const cookies = this.byHost.get(url.hostname) ?? new Map<string, string>();
    this.byHost.set(url.hostname, cookies);
    for (const setCookie of setCookies) {
      const [pair = "", ...attributes] = setCookie.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      if (attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute))) cookies.delete(name);
      else cookies.set(name, pair.slice(separator + 1).trim());
    }
  }
}
