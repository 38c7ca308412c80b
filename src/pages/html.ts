/**
 * The one document skeleton and response of every page this server shows people: the home page,
 * the consent and key pages of the connectors, refusals and /admin. Everything that came from a
 * client (its name, its redirect URI, the scopes), from the identity provider (an email) or from a
 * member is escaped with `escapeHtml` before it reaches a page.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// Scripts, frames and external loads are never needed on these pages.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

const STYLE =
  "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}" +
  "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}code{word-break:break-all}";

/** A page's response: HTML under a policy that allows no script, frame or external load, never cached, sending no referrer. */
export function htmlResponse(body: string, status: number, headers = new Headers()): Response {
  headers.set("Content-Type", "text/html; charset=utf-8");
  headers.set("Content-Security-Policy", PAGE_CSP);
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cache-Control", "no-store");
  headers.set("Referrer-Policy", "no-referrer");
  return new Response(body, { status, headers });
}

/** The document around `main`; `title` is HTML (escape what came from outside). `style` is added after the common style. */
export function htmlDocument(title: string, main: string, style = ""): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}${style}</style>
<main>
${main}
</main>
</html>`;
}

/** A page explaining why the request stops here; nothing is sent back to the client. */
export function refusalPage(status: 400 | 403 | 429 | 502, title: string, message: string, headers?: Headers): Response {
  const body = htmlDocument(
    escapeHtml(title),
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p>Close this window and connect again from your app. If it keeps failing, contact your administrator.</p>`,
  );
  return htmlResponse(body, status, headers);
}
