/**
 * The shared key's audit trail: every Plausible call made for a member on /internal (who, when,
 * site, tool, query hash), as JSON lines on stdout, oldest first.
 *
 *   npm run audit:export                                    # everyone, from the local `wrangler dev` state
 *   npm run audit:export -- user@example.com                # one member (any letter case)
 *   npm run audit:export -- user@example.com --persist-to DIR # another local state directory
 *
 * Records live in each member's usage agent (SQLite, table audit_log) and are kept for
 * AUDIT_RETENTION_DAYS. Like `npm run revoke`, this reads the state `wrangler dev` persists
 * (.wrangler/state by default); it opens the agents' databases read-only, so no worker has to
 * list Durable Objects, which the runtime cannot do.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { auditSelectSql, toAuditRecord, type AuditRecord, type AuditRow } from "../src/observability/audit-record.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "persist-to": { type: "string", default: ".wrangler/state" } },
});
const email = positionals[0];
if (positionals.length > 1 || (email !== undefined && !email.includes("@"))) {
  console.error("Usage: npm run audit:export -- [user@example.com] [--persist-to .wrangler/state]");
  process.exit(2);
}

const config = unstable_readConfig({ config: resolve("wrangler.toml") });
// Where wrangler dev (miniflare) keeps a Durable Object class's databases: one <id>.sqlite per object.
const agentsDir = join(resolve(values["persist-to"]!), "v3", "do", `${config.name}-UsageAgent`);
if (!existsSync(agentsDir)) {
  console.error(`No usage agents under ${agentsDir}: nothing was recorded there yet (or pass --persist-to).`);
  process.exit(1);
}

const records: AuditRecord[] = [];
for (const file of readdirSync(agentsDir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")) {
  const db = new DatabaseSync(join(agentsDir, file), { readOnly: true });
  try {
    const hasAudit = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
    if (!hasAudit) continue;
    const withDeliveries = db.prepare("SELECT 1 FROM pragma_table_info('audit_log') WHERE name = 'status'").get() !== undefined;
    const rows = db
      .prepare(auditSelectSql(email !== undefined, withDeliveries))
      .all(...(email === undefined ? [] : [email])) as unknown as AuditRow[];
    records.push(...rows.map(toAuditRecord));
  } finally {
    db.close();
  }
}
records.sort((a, b) => a.at.localeCompare(b.at));
for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`);
