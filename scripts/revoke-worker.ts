/**
 * One-off worker behind `npm run revoke`: it blocks the member and runs the provider's own grant
 * listing and revocation against the OAUTH_KV namespace it is given (POST /revoke), or lifts the
 * block (POST /unblock), as /admin's "Revoke and block" and "Unblock" do. scripts/revoke.ts starts
 * it locally and calls it once.
 */
import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import { blockMember, revokeUserByEmail, unblockMember, userIdsByEmail } from "../src/auth";

interface RevokeEnv {
  OAUTH_KV: KVNamespace;
  PUBLIC_URL: string;
}

const notServed = { fetch: async () => new Response("Not found", { status: 404 }) };

export default {
  async fetch(request: Request, env: RevokeEnv): Promise<Response> {
    const email = (await request.text()).trim().toLowerCase();
    if (!email.includes("@")) return Response.json({ error: "Pass the user's email address." }, { status: 400 });
    if (new URL(request.url).pathname === "/unblock") {
      return Response.json({ email, unblocked: (await unblockMember(env.OAUTH_KV, email)) !== undefined });
    }
    // Blocked first, so a sign-in that completes during the revocation is refused.
    await blockMember(env.OAUTH_KV, email, await userIdsByEmail(env.OAUTH_KV, email), "npm run revoke");
    // Grant storage does not depend on routing; these options only identify the resource.
    const oauth = getOAuthApi(
      {
        apiRoute: "/internal",
        apiHandler: notServed,
        defaultHandler: notServed,
        authorizeEndpoint: "/authorize",
        tokenEndpoint: "/token",
        resourceMetadata: { resource: new URL(env.PUBLIC_URL).origin + "/internal" },
      },
      env,
    );
    return Response.json({ email, revokedGrants: await revokeUserByEmail(env.OAUTH_KV, oauth, email), blocked: true });
  },
};
