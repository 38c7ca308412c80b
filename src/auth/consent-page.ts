import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";

/**
 * HTML for the consent page and for refusals. Everything that came from a client (its name, its
 * redirect URI, the scopes) or from the identity provider (an email) is escaped.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// Scripts, frames and external loads are never needed on these pages.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

const STYLE =
  "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}" +
  "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}code{word-break:break-all}";

export function consentPage(details: ConsentDescription, handle: string): string {
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : "This app registered itself; its name is not verified.";
  const scopes = details.scope.length
    ? `<p>It asks for: ${details.scope.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(", ")}</p>`
    : "<p>It asks for read access to the team's Plausible Analytics through this server.</p>";
  const loopback = details.redirectIsLoopback
    ? "<p><strong>This sends access to an app on your computer.</strong> Continue only if you just started connecting it.</p>"
    : "";
  return htmlDocument(
    `Allow ${name}?`,
    `<h1>Allow ${name} to use Plausible Analytics as you?</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${loopback}${scopes}
<p>After you approve, you sign in with your organisation's account.</p>
<form method="post" action="/authorize">
<input type="hidden" name="handle" value="${escapeHtml(handle)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
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

export function htmlResponse(body: string, status: number, headers = new Headers()): Response {
  headers.set("Content-Type", "text/html; charset=utf-8");
  headers.set("Content-Security-Policy", PAGE_CSP);
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cache-Control", "no-store");
  headers.set("Referrer-Policy", "no-referrer");
  return new Response(body, { status, headers });
}

export function htmlDocument(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
<main>
${main}
</main>
</html>`;
}
