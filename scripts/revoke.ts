/**
 * Offboarding: block a user and revoke every /internal grant of theirs, by email. Their next call
 * gets 401 and they cannot sign in again until unblocked (here with --unblock, or on /admin).
 *
 *   npm run revoke -- user@example.com                 # the local `wrangler dev` state
 *   npm run revoke -- user@example.com --persist-to DIR # another local state directory
 *   npm run revoke -- --unblock user@example.com       # lift the block
 *
 * It starts scripts/revoke-worker.ts in workerd with this project's OAUTH_KV binding and PUBLIC_URL
 * from wrangler.toml, persisting to the same `.wrangler/state` as `wrangler dev`, and calls it once.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { unstable_readConfig, unstable_startWorker } from "wrangler";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "persist-to": { type: "string", default: ".wrangler/state" }, unblock: { type: "boolean", default: false } },
});
const email = positionals[0];
if (!email || !email.includes("@")) {
  console.error("Usage: npm run revoke -- [--unblock] user@example.com [--persist-to .wrangler/state]");
  process.exit(2);
}

const config = unstable_readConfig({ config: resolve("wrangler.toml") });

// The project's own configuration (so the same OAUTH_KV namespace and vars), minus the Durable
// Objects: the session agents and rate limiter are no part of revocation.
const worker = await unstable_startWorker({
  config: { ...config, name: "plausible-mcp-revoke", durable_objects: { bindings: [] }, migrations: [] },
  entrypoint: resolve("scripts/revoke-worker.ts"),
  dev: { persist: resolve(values["persist-to"]!), server: { port: 0 }, inspector: false, watch: false, logLevel: "error" },
});
try {
  await worker.ready;
  const action = values.unblock ? "unblock" : "revoke";
  const response = await worker.fetch(`http://127.0.0.1/${action}`, { method: "POST", body: email });
  const result = (await response.json()) as { revokedGrants?: number; unblocked?: boolean; error?: string };
  if (!response.ok) throw new Error(result.error ?? `${action} failed with HTTP ${response.status}`);
  if (values.unblock) console.log(result.unblocked ? `Unblocked ${email}: they may sign in again.` : `${email} was not blocked.`);
  else
    console.log(
      `Revoked ${result.revokedGrants} grant(s) for ${email} and blocked them. Their next call to ` +
        "/internal gets 401; unblock with --unblock.",
    );
} finally {
  await worker.dispose();
}
