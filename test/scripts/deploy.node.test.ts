import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SHIPPED = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
let dir: string;

/** The shipped wrangler.toml with the production block's placeholders filled in as an operator would. */
function filledIn(): string {
  return SHIPPED.replace('main = "src/worker.ts"', `main = ${JSON.stringify(join(ROOT, "src/worker.ts"))}`)
    .replaceAll("mcp.example.com", "mcp.acme.dev")
    .replace(/(\[env\.production\.vars\][\s\S]*?ALLOWED_EMAIL_DOMAINS = )"example\.com"/, '$1"acme.dev"');
}

function deploy(toml: string, ...args: string[]) {
  const config = join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(config, toml);
  const result = spawnSync(process.execPath, ["scripts/deploy.ts", "--config", config, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "deploy-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run deploy", () => {
  it("refuses the shipped configuration, naming every placeholder still to edit", () => {
    const { status, stdout, stderr } = deploy(SHIPPED, "--dry-run");
    expect(status).toBe(1);
    expect(stderr).toContain("PUBLIC_URL is still the placeholder https://mcp.example.com");
    expect(stderr).toContain("ALLOWED_EMAIL_DOMAINS still holds the placeholder example.com");
    expect(stderr).toContain("routes still holds the placeholder host mcp.example.com");
    expect(stdout).not.toContain("Deploying");
  }, 30_000);

  it("refuses an empty setting, an http URL and a PUBLIC_URL whose host is not the route's", () => {
    const cases: [string, string, string][] = [
      ['ALLOWED_EMAIL_DOMAINS = "acme.dev"', 'ALLOWED_EMAIL_DOMAINS = " , "', "ALLOWED_EMAIL_DOMAINS is empty"],
      ['PUBLIC_URL = "https://mcp.acme.dev"', 'PUBLIC_URL = ""', "PUBLIC_URL is empty"],
      [
        'PUBLIC_URL = "https://mcp.acme.dev"',
        'PUBLIC_URL = "https://analytics.acme.dev"',
        "PUBLIC_URL's host analytics.acme.dev is not a custom-domain route",
      ],
      [
        'PLAUSIBLE_BASE_URL = "https://plausible.io"',
        'PLAUSIBLE_BASE_URL = "http://plausible.internal"',
        "PLAUSIBLE_BASE_URL must be https",
      ],
      ['OIDC_ISSUER = "https://accounts.google.com"', 'OIDC_ISSUER = ""', "OIDC_ISSUER is empty"],
    ];
    for (const [from, to, message] of cases) {
      const production = filledIn();
      const edited =
        production.slice(0, production.indexOf("[env.production]")) +
        production.slice(production.indexOf("[env.production]")).replace(from, to);
      expect(edited, from).not.toBe(production);
      const { status, stderr } = deploy(edited, "--dry-run");
      expect(status, message).toBe(1);
      expect(stderr).toContain(message);
    }
  }, 60_000);

  it("deploys a filled-in configuration with wrangler deploy --env production and Sentry's release set to the version and commit", () => {
    const { version, name } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const { status, stdout, stderr } = deploy(filledIn(), "--dry-run", "--outdir", join(dir, "bundle"));
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`wrangler deploy --env production --var SENTRY_RELEASE:${name}@${version.replaceAll(".", "\\.")}\\+${commit}(\\.dirty)? `),
    );
    expect(stdout).toContain('env.PUBLIC_URL ("https://mcp.acme.dev")');
    expect(stdout).toContain("env.SENTRY_RELEASE");
    expect(stdout).toContain("--dry-run: exiting now.");
  }, 120_000);
});
