import type { Block } from "../auth";
import { escapeHtml, htmlDocument } from "../pages/html";
import type { MemberActivity } from "../observability/audit-log";
import type { AuditRecord } from "../observability/audit-record";

/** HTML for /admin and the audit downloads. Everything shown came from members or clients, so all of it is escaped. */

export interface MemberRow extends MemberActivity {
  email: string;
  /** Plausible requests on the shared key this UTC hour, against the member's share. */
  sharedKeyThisHour: number;
  grants: { client: string; createdAt: number }[];
}

export interface SharedKeyHour {
  used: number;
  limit: number;
  /** Plausible answered 429: closed until the hour turns. */
  closed: boolean;
  circuit: { open: boolean; retryAfterSeconds: number };
  memberLimit: number;
}

export interface AuditFilter {
  from: string;
  to: string;
  member: string;
}

/** An audit record with the member whose trail it is in (for an admin action, `email` is the administrator's). */
export type MemberAuditRecord = AuditRecord & { member: string };

const ADMIN_STYLE =
  "body{max-width:72rem}table{border-collapse:collapse;margin:1rem 0}" +
  "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}form.inline{display:inline}";

function time(ms: number | null): string {
  return ms === null ? "–" : new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function header(admin: string, csrf: string): string {
  return (
    `<p>Signed in as <strong>${escapeHtml(admin)}</strong> · <a href="/admin">Members</a> · <a ` +
    `href="/admin/audit">Audit</a> · <form class="inline" method="post" action="/admin/sign-out">` +
    `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Sign ` +
    "out</button></form></p>"
  );
}

/**
 * What /admin may say after an action, selected by `?notice=<code>`: only these texts, written here,
 * so a crafted link cannot put words on an administrator's page.
 */
const NOTICES = {
  revoked:
    "<strong>Revoked and blocked</strong> the member: every grant ended, their next call gets 401, " +
    "and they cannot sign in again until unblocked.",
  unblocked: "<strong>Unblocked</strong> the member: they may sign in again.",
} as const;

export type Notice = keyof typeof NOTICES;

export function isNotice(code: string | null): code is Notice {
  return code !== null && Object.hasOwn(NOTICES, code);
}

export function membersPage(view: {
  admin: string;
  csrf: string;
  members: MemberRow[];
  blocked: Block[];
  sharedKey: SharedKeyHour;
  notice?: Notice;
}): string {
  const { sharedKey } = view;
  const circuit = sharedKey.circuit.open
    ? `open: calls fail fast for ${sharedKey.circuit.retryAfterSeconds} s`
    : "closed (calls go through)";
  const notice = view.notice ? `<p role="status">${NOTICES[view.notice]}</p>` : "";
  const rows = view.members
    .map((member) => {
      const grants = member.grants.length
        ? member.grants.map((grant) => `${escapeHtml(grant.client)}, since ${time(grant.createdAt * 1000)}`).join("<br>")
        : "none";
      return `<tr><td>${escapeHtml(member.email)}</td><td>${time(member.firstUseMs)}</td><td>${time(member.lastUseMs)}</td>\
<td>${member.callsThisHour}</td><td>${member.callsToday}</td><td>${grants}</td>
<td><form class="inline" method="post" action="/admin/revoke"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}"><input \
type="hidden" name="email" value="${escapeHtml(member.email)}"><button type="submit" aria-label="Revoke and block \
${escapeHtml(member.email)}">Revoke and block</button></form></td></tr>`;
    })
    .join("\n");
  const blocked = view.blocked
    .map(
      (block) =>
        `<tr><td>${escapeHtml(block.email)}</td><td>${escapeHtml(block.blockedBy)}</td><td>${time(block.blockedAt)}</td>
<td><form class="inline" method="post" action="/admin/unblock"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}"><input \
type="hidden" name="email" value="${escapeHtml(block.email)}"><button type="submit" aria-label="Unblock \
${escapeHtml(block.email)}">Unblock</button></form></td></tr>`,
    )
    .join("\n");
  const perMember = view.members
    .filter((member) => member.sharedKeyThisHour > 0)
    .map((member) => `<tr><td>${escapeHtml(member.email)}</td><td>${member.sharedKeyThisHour} of ${sharedKey.memberLimit}</td></tr>`)
    .join("\n");
  return htmlDocument(
    "Plausible MCP admin",
    `${header(view.admin, view.csrf)}
<h1>Members</h1>
${notice}<p>People who signed in to <code>/internal</code>. Calls are Plausible requests made on the team's shared key, from the audit \
trail. Revoke and block ends every connected client of the member (their next call gets 401) and keeps them from signing in again until \
unblocked.</p>
<table>
<tr><th>Email</th><th>First use</th><th>Last use</th><th>Calls this hour</th><th>Calls today</th><th>Connected clients \
(grants)</th><th></th></tr>
${rows || '<tr><td colspan="7">Nobody has signed in yet.</td></tr>'}
</table>
<h2>Blocked</h2>
<p>Members who may not sign in, refresh or call <code>/internal</code> until unblocked.</p>
<table>
<tr><th>Email</th><th>Blocked by</th><th>Since</th><th></th></tr>
${blocked || '<tr><td colspan="4">Nobody is blocked.</td></tr>'}
</table>
<h2>The shared key this hour</h2>
<table>
<tr><th>Used</th><td>${sharedKey.used} of ${sharedKey.limit} \
requests${sharedKey.closed ? " (closed by Plausible's 429 until the hour turns)" : ""}</td></tr>
<tr><th>Circuit</th><td>${circuit}</td></tr>
</table>
<table>
<tr><th>Member</th><th>Requests this hour</th></tr>
${perMember || '<tr><td colspan="2">No member used the key this hour.</td></tr>'}
</table>`,
    ADMIN_STYLE,
  );
}

export function auditPage(view: { admin: string; csrf: string; filter: AuditFilter; records: MemberAuditRecord[] }): string {
  const { filter } = view;
  const query = new URLSearchParams({ from: filter.from, to: filter.to, ...(filter.member ? { member: filter.member } : {}) });
  const rows = view.records
    .map(
      (record) =>
        `<tr><td>${escapeHtml(record.at)}</td><td>${escapeHtml(record.member)}</td>` +
        `<td>${escapeHtml(record.email)}</td><td>${escapeHtml(record.tool)}</td>` +
        `<td>${escapeHtml(record.site_id ?? "")}</td><td>` +
        `<code>${escapeHtml(record.query_hash.slice(0, 16))}</code></td></tr>`,
    )
    .join("\n");
  return htmlDocument(
    "Plausible MCP audit",
    `${header(view.admin, view.csrf)}
<h1>Audit trail of the shared key</h1>
<form method="get" action="/admin/audit">
<label>From <input type="date" name="from" value="${escapeHtml(filter.from)}"></label>
<label>To <input type="date" name="to" value="${escapeHtml(filter.to)}"></label>
<label>Member <input type="email" name="member" value="${escapeHtml(filter.member)}" placeholder="everyone"></label>
<button type="submit">Show</button>
</form>
<p>${view.records.length} record(s), UTC days ${escapeHtml(filter.from)} to ${escapeHtml(filter.to)}. Download: <a \
href="/admin/audit?${escapeHtml(query.toString())}&amp;format=jsonl">JSON lines</a> · <a \
href="/admin/audit?${escapeHtml(query.toString())}&amp;format=csv">CSV</a></p>
<table>
<tr><th>At</th><th>Member</th><th>By</th><th>Tool or action</th><th>Site</th><th>Query hash</th></tr>
${rows || '<tr><td colspan="6">No records in this range.</td></tr>'}
</table>`,
    ADMIN_STYLE,
  );
}

export function auditJsonLines(records: MemberAuditRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join("\n") + (records.length ? "\n" : "");
}

const CSV_COLUMNS = ["at", "member", "email", "tool", "site_id", "query_hash"] as const;

export function auditCsv(records: MemberAuditRecord[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const record of records) lines.push(CSV_COLUMNS.map((column) => csvField(record[column] ?? "")).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** RFC 4180 quoting, and a leading quote mark so a spreadsheet never runs a value as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
