/**
 * One-off worker behind `npm run revoke`: it runs the provider's own grant listing and revocation
 * against the OAUTH_KV namespace it is given, so offboarding needs no admin endpoint on the
 * deployed worker. scripts/revoke.ts starts it locally and calls it once.
 */
import { getOAuthApi } from "@cloudflare/workers-oauth-provider";
import { revokeUserByEmail } from "../src/auth/user-index";

interface RevokeEnv {
  OAUTH_KV: KVNamespace;
  PUBLIC_URL: string;
}

const notServed = { fetch: async () => new Response("Not found", { status: 404 }) };

export default {
  async fetch(request: Request, env: RevokeEnv): Promise<Response> {
    const email = (await request.text()).trim();
    if (!email.includes("@")) return Response.json({ error: "Pass the user's email address." }, { status: 400 });
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
    return Response.json({ email, revokedGrants: await revokeUserByEmail(env.OAUTH_KV, oauth, email) });
  },
};
