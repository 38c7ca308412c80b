import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";
import { escapeHtml, htmlDocument } from "../../pages/html";
import { AUTHORIZE_PATH } from "./paths";

/** The input the key page asks for (a fixed interface: tests and documentation name it). */
export const API_KEY_FIELD = "plausible_api_key";

/** The /connect key page: which app asks, where access goes, and the key to connect; `refusal` is why the last key was not accepted. */
export function keyPage(details: ConsentDescription, handle: string, refusal?: string): string {
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : "This app registered itself; its name is not verified.";
  const loopback = details.redirectIsLoopback
    ? "<p><strong>This sends access to an app on your computer.</strong> Continue only if you just started connecting it.</p>"
    : "";
  const error = refusal
    ? `<p role="alert" style="color:#b00020"><strong>This key was not accepted:</strong> ${escapeHtml(refusal)}</p>`
    : "";
  return htmlDocument(
    `Connect ${name} to Plausible Analytics`,
    `<h1>Connect ${name} to your Plausible Analytics</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${loopback}<p>Paste a Plausible Stats API key (Plausible: <em>Account settings &gt; API keys</em>). ${name} will read your sites' \
statistics with it; nothing is changed.
The key is checked with Plausible once, then kept only inside this connection, encrypted; disconnecting the app deletes it.</p>
${error}<form method="post" action="${AUTHORIZE_PATH}">
<input type="hidden" name="handle" value="${escapeHtml(handle)}">
<p><label>Plausible API key<br><input type="password" name="${API_KEY_FIELD}" autocomplete="off" required size="48"></label></p>
<button type="submit" name="decision" value="connect">Connect</button>
<button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}
