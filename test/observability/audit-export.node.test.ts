import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
let persistTo: string;

/** A usage agent's database as wrangler dev leaves it, with the project's real audit migration. */
function agentDatabase(dir: string, id: string, rows: [number, string, string, string | null][]): void {
  const db = new DatabaseSync(join(dir, `${id}.sqlite`));
  db.exec(readFileSync(join(ROOT, "migrations/0002_audit.sql"), "utf8"));
  const insert = db.prepare("INSERT INTO audit_log (at_ms, user_email, tool, site_id, query_hash) VALUES (?, ?, ?, ?, ?)");
  for (const [at, email, tool, site] of rows) insert.run(at, email, tool, site, `hash-${at}`);
  db.close();
}

function exportAudit(...args: string[]) {
  const result = spawnSync(process.execPath, ["scripts/audit-export.ts", ...args, "--persist-to", persistTo], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return {
    status: result.status,
    lines: result.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr: result.stderr,
  };
}

beforeAll(() => {
  persistTo = mkdtempSync(join(tmpdir(), "audit-export-"));
  const agents = join(persistTo, "v3", "do", "plausible-mcp-UsageAgent");
  mkdirSync(agents, { recursive: true });
  agentDatabase(agents, "aaaa", [
    [Date.UTC(2026, 0, 2), "Ada@Example.com", "get_aggregate", "a.example"],
    [Date.UTC(2026, 0, 4), "Ada@Example.com", "list_sites", null],
  ]);
  agentDatabase(agents, "bbbb", [[Date.UTC(2026, 0, 3), "grace@example.com", "query", "b.example"]]);
  // A key agent's database: migrated, never written.
  agentDatabase(agents, "cccc", []);
});
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

describe("npm run audit:export", () => {
  it("prints everyone's records as JSON lines, oldest first", () => {
    const { status, lines } = exportAudit();
    expect(status).toBe(0);
    expect(lines).toEqual([
      {
        at: "2026-01-02T00:00:00.000Z",
        email: "Ada@Example.com",
        tool: "get_aggregate",
        site_id: "a.example",
        query_hash: `hash-${Date.UTC(2026, 0, 2)}`,
      },
      {
        at: "2026-01-03T00:00:00.000Z",
        email: "grace@example.com",
        tool: "query",
        site_id: "b.example",
        query_hash: `hash-${Date.UTC(2026, 0, 3)}`,
      },
      {
        at: "2026-01-04T00:00:00.000Z",
        email: "Ada@Example.com",
        tool: "list_sites",
        site_id: null,
        query_hash: `hash-${Date.UTC(2026, 0, 4)}`,
      },
    ]);
  }, 60_000);

  it("prints one member's records, whatever the letter case", () => {
    const { status, lines } = exportAudit("ada@example.COM");
    expect(status).toBe(0);
    expect(lines.map((line) => line.tool)).toEqual(["get_aggregate", "list_sites"]);
  }, 60_000);

  it("says how to call it when the argument is not an email", () => {
    const { status, stderr } = exportAudit("ada");
    expect(status).toBe(2);
    expect(stderr).toContain("Usage: npm run audit:export");
  }, 60_000);
});
