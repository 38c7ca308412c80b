/**
 * Deploys to Cloudflare: checks the production block of wrangler.toml, then runs
 * `wrangler deploy --env production` with Sentry's release named after this version and commit.
 *
 *   npm run deploy                                  # check, then deploy
 *   npm run deploy -- --dry-run --outdir dist       # anything after -- goes to wrangler deploy
 *   npm run deploy -- --config path/to/wrangler.toml
 *
 * It refuses, naming the setting, while a required setting is empty or still a placeholder: a
 * deployment without them would answer only 403 or 503.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { unstable_readConfig, type Unstable_Config } from "wrangler";

const ENVIRONMENT = "production";
const ROOT = resolve(import.meta.dirname, "..");
const EDIT_HERE = `in [env.${ENVIRONMENT}] of wrangler.toml`;
// RFC 2606 names, which the shipped configuration uses as placeholders.
const PLACEHOLDER_HOST = /(^|\.)example(\.(com|org|net))?$/i;

const args = process.argv.slice(2);
const configFlag = args.indexOf("--config");
const configPath = resolve(configFlag >= 0 && args[configFlag + 1] ? args[configFlag + 1]! : join(ROOT, "wrangler.toml"));
const config = unstable_readConfig({ config: configPath, env: ENVIRONMENT }, { hideWarnings: true });

const found = problems(config);
if (found.length > 0) {
  console.error(
    `Not deploying: ${found.length === 1 ? "a setting needs" : "some settings need"} your attention ${EDIT_HERE} (${configPath}):`,
  );
  for (const problem of found) console.error(`  - ${problem}`);
  process.exit(1);
}

const release = sentryRelease();
const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const deployArgs = [
  "deploy",
  "--env",
  ENVIRONMENT,
  "--var",
  `SENTRY_RELEASE:${release}`,
  ...(configFlag >= 0 ? [] : ["--config", configPath]),
  ...args,
];
console.log(`Deploying release ${release}: wrangler ${deployArgs.join(" ")}`);
const result = spawnSync(process.execPath, [wrangler, ...deployArgs], { stdio: "inherit" });
process.exit(result.status ?? 1);

/** Everything that would keep the deployment from answering, each naming its setting and the fix. */
function problems(config: Unstable_Config): string[] {
  const vars = config.vars as Record<string, unknown>;
  const value = (name: string) => (typeof vars[name] === "string" ? (vars[name] as string).trim() : "");
  const found: string[] = [];

  const publicUrl = httpsUrl("PUBLIC_URL", value("PUBLIC_URL"), "https:// followed by the host of your custom-domain route", found);
  if (publicUrl && (publicUrl.pathname !== "/" || publicUrl.search || publicUrl.hash)) {
    found.push(`PUBLIC_URL must be the origin only (https://host), without a path: got ${value("PUBLIC_URL")}.`);
  }

  const domains = value("ALLOWED_EMAIL_DOMAINS")
    .split(",")
    .map((domain) => domain.trim().replace(/^@/, ""))
    .filter(Boolean);
  if (domains.length === 0) found.push("ALLOWED_EMAIL_DOMAINS is empty: list your team's email domains, e.g. your-company.com.");
  for (const domain of domains.filter((domain) => PLACEHOLDER_HOST.test(domain))) {
    found.push(`ALLOWED_EMAIL_DOMAINS still holds the placeholder ${domain}: replace it with your team's email domain.`);
  }

  httpsUrl("PLAUSIBLE_BASE_URL", value("PLAUSIBLE_BASE_URL"), "https://plausible.io or your Community Edition's public https URL", found);
  httpsUrl("OIDC_ISSUER", value("OIDC_ISSUER"), "https://accounts.google.com or your provider's public https issuer", found);

  const routes = (config.routes ?? []).flatMap((route) =>
    typeof route === "object" && "custom_domain" in route && route.custom_domain ? [route.pattern] : [],
  );
  if (routes.length === 0) {
    found.push('routes has no custom domain: add routes = [{ pattern = "<PUBLIC_URL\'s host>", custom_domain = true }].');
  }
  for (const pattern of routes.filter((pattern) => PLACEHOLDER_HOST.test(pattern))) {
    found.push(`routes still holds the placeholder host ${pattern}: use the host of PUBLIC_URL, in a zone on your Cloudflare account.`);
  }
  if (publicUrl && routes.length > 0 && !routes.includes(publicUrl.host)) {
    found.push(
      `PUBLIC_URL's host ${publicUrl.host} is not a custom-domain route (${routes.join(", ")}): every ` +
        "request would be refused as a foreign host.",
    );
  }

  if (!config.kv_namespaces.some((namespace) => namespace.binding === "OAUTH_KV")) {
    found.push('the OAUTH_KV binding is missing: add [[env.production.kv_namespaces]] with binding = "OAUTH_KV".');
  }
  if (value("CLIENT_ID_METADATA_DOCUMENTS") === "true" && !config.compatibility_flags.includes("global_fetch_strictly_public")) {
    found.push(
      "CLIENT_ID_METADATA_DOCUMENTS needs the global_fetch_strictly_public compatibility flag, so a " +
        "metadata URL can't reach private addresses.",
    );
  }
  return found;
}

function httpsUrl(name: string, value: string, example: string, found: string[]): URL | undefined {
  if (value === "") {
    found.push(`${name} is empty: set it to ${example}.`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    found.push(`${name} is not a URL (${value}): set it to ${example}.`);
    return undefined;
  }
  if (url.protocol !== "https:") found.push(`${name} must be https, since Cloudflare reaches it over the public internet: got ${value}.`);
  else if (PLACEHOLDER_HOST.test(url.hostname)) found.push(`${name} is still the placeholder ${value}: set it to ${example}.`);
  else return url;
  return undefined;
}

/** `plausible-mcp@<version>+<commit>`; a commit with uncommitted changes is marked `.dirty`. */
function sentryRelease(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  const git = (...gitArgs: string[]) =>
    execFileSync("git", gitArgs, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const commit = git("rev-parse", "--short=12", "HEAD");
    return `${pkg.name}@${pkg.version}+${commit}${git("status", "--porcelain") ? ".dirty" : ""}`;
  } catch {
    console.warn("Not a git checkout: the Sentry release names the version only.");
    return `${pkg.name}@${pkg.version}`;
  }
}
