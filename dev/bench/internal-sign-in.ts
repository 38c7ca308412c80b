// Signs an OAuth MCP client in to /internal once, the way a person would: the client's 401,
// discovery and registration, then the consent page's Approve in headless Chromium, the local
// issuer, and the loopback redirect. The pieces are the end-to-end suite's own helpers.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { chromiumAvailable, launchHeadlessChromium, MISSING_CHROMIUM } from "../clients/browser.ts";
import { RecordingOAuthProvider, startLoopbackRedirect } from "../clients/oauth-client.ts";

export { chromiumAvailable, MISSING_CHROMIUM };

/** An OAuth client provider holding tokens for the demo user on `internalUrl`. */
export async function signInToInternal(internalUrl: string): Promise<RecordingOAuthProvider> {
  const loopback = await startLoopbackRedirect();
  const browser = await launchHeadlessChromium();
  try {
    const provider = new RecordingOAuthProvider(loopback.redirectUrl, "Plausible MCP bench");
    const transport = new StreamableHTTPClientTransport(new URL(internalUrl), { authProvider: provider });
    try {
      await new Client({ name: "plausible-mcp-bench", version: "1.0.0" }).connect(transport);
      throw new Error(`${internalUrl} accepted a client without tokens; the bench expects the OAuth sign-in.`);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
    }
    const authorizationUrl = provider.authorizationUrls.at(-1);
    if (!authorizationUrl) throw new Error("The MCP client did not get an authorization URL from /internal.");

    const page = await (await browser.newContext()).newPage();
    await page.goto(authorizationUrl.href);
    const approve = page.getByRole("button", { name: "Approve" });
    await Promise.all([page.waitForURL((target) => target.href.startsWith(loopback.redirectUrl)), approve.click()]);
    const code = loopback.hits.at(-1)?.code;
    if (!code) throw new Error(`Sign-in ended without an authorization code: ${JSON.stringify(loopback.hits.at(-1))}`);
    await transport.finishAuth(code);
    return provider;
  } finally {
    await browser.close();
    await loopback.close();
  }
}
