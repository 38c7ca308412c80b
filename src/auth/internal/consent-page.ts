import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";
import { escapeHtml, htmlDocument } from "../../pages/html";

/** The /internal consent page: which app asks, where access goes, and Approve or Deny before signing in. */
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
