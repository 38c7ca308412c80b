/**
 * Offboarding: revoke every /internal grant of a user, by email. Their next call gets 401.
 *
 *   npm run revoke -- user@example.com                 # the local `wrangler dev` state
 *   npm run revoke -- user@example.com --persist-to DIR # another local state directory
 *
 * It starts scripts/revoke-worker.ts in workerd with this project's OAUTH_KV binding and PUBLIC_URL
 * from wrangler.toml, persisting to the same `.wrangler/state` as `wrangler dev`, and calls it once.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { unstable_readConfig, unstable_startWorker } from "wrangler";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "persist-to": { type: "string", default: ".wrangler/state" } },
});
const email = positionals[0];
if (!email || !email.includes("@")) {
  console.error("Usage: npm run revoke -- user@example.com [--persist-to .wrangler/state]");
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
  const response = await worker.fetch("http://127.0.0.1/revoke", { method: "POST", body: email });
  const result = (await response.json()) as { revokedGrants?: number; error?: string };
  if (!response.ok) throw new Error(result.error ?? `revocation failed with HTTP ${response.status}`);
  console.log(`Revoked ${result.revokedGrants} grant(s) for ${email}. Their next call to /internal gets 401.`);
} finally {
  await worker.dispose();
}
