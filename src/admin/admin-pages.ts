import type { Block } from "../auth";
import { escapeHtml, htmlDocument } from "../pages/html";
import type { MemberActivity } from "../observability/audit-log";
import type { AuditRecord } from "../observability/audit-record";
import type { SiteMemory } from "../agent/memory-store";
import type { StoredDelivery } from "../agent/digest-store";
import { DIGEST_FORMATS, DIGEST_KINDS, type Subscription } from "../tools/digest-subscriptions";
import { ANNOTATION_KINDS, MAX_ANNOTATION_CHARS, MAX_SITE_CONTEXT_CHARS, TARGET_METRICS } from "../tools/team-memory";

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

/** An /admin page: the common document with the admin tables' style. */
function adminDocument(title: string, main: string): string {
  return htmlDocument(title, main, ADMIN_STYLE);
}

function time(ms: number | null): string {
  return ms === null ? "–" : new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function header(admin: string, csrf: string): string {
  return (
    `<p>Signed in as <strong>${escapeHtml(admin)}</strong> · <a href="/admin">Members</a> · <a ` +
    `href="/admin/audit">Audit</a> · <a href="/admin/memory">Team memory</a> · <a href="/admin/digests">Digests</a> · ` +
    `<form class="inline" ` +
    `method="post" action="/admin/sign-out"><input type="hidden" name="csrf" ` +
    `value="${escapeHtml(csrf)}"><button type="submit">Sign out</button></form></p>`
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
  annotation_added: "<strong>Added</strong> the annotation.",
  annotation_deleted: "<strong>Deleted</strong> the annotation.",
  target_set: "<strong>Saved</strong> the target.",
  target_deleted: "<strong>Deleted</strong> the target.",
  context_saved: "<strong>Saved</strong> the site context.",
  subscription_added: "<strong>Subscribed</strong> the webhook: it gets what was ticked, from the next hourly run on.",
  subscription_deleted: "<strong>Deleted</strong> the subscription: nothing more is sent to it.",
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
  return adminDocument(
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
  return adminDocument(
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

/** A form that posts to /admin with the session's CSRF token; `fields` is its inner HTML. */
function adminForm(action: string, csrf: string, fields: string, button: string, label?: string): string {
  const aria = label ? ` aria-label="${escapeHtml(label)}"` : "";
  return (
    `<form class="inline" method="post" action="${action}"><input type="hidden" name="csrf" ` +
    `value="${escapeHtml(csrf)}">${fields}<button type="submit"${aria}>${button}</button></form>`
  );
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
const options = (values: readonly string[]) => values.map((value) => `<option>${escapeHtml(value)}</option>`).join("");

/** The team's memory (what /internal's members noted), per site, with forms to add and delete. */
export function memoryPage(view: { admin: string; csrf: string; sites: SiteMemory[]; notice?: Notice }): string {
  const { csrf } = view;
  const notice = view.notice ? `<p role="status">${NOTICES[view.notice]}</p>` : "";
  const sites = view.sites
    .map((site) => {
      const annotations = site.annotations
        .map(
          (annotation) =>
            `<tr><td>${escapeHtml(annotation.at)}</td><td>${escapeHtml(annotation.kind)}</td><td>${escapeHtml(annotation.text)}</td>\
<td>${escapeHtml(annotation.author ?? "")}</td><td><code>${escapeHtml(annotation.id)}</code></td>
<td>${adminForm("/admin/memory/annotation/delete", csrf, hidden("id", annotation.id), "Delete", `Delete annotation ${annotation.id}`)}\
</td></tr>`,
        )
        .join("\n");
      const targets = site.targets
        .map(
          (target) =>
            `<tr><td>${escapeHtml(target.metric)}</td><td>${escapeHtml(target.period)}</td><td>${target.value}</td>\
<td>${escapeHtml(target.setBy ?? "")}</td>
<td>${adminForm(
              "/admin/memory/target/delete",
              csrf,
              hidden("site_id", site.siteId) + hidden("metric", target.metric) + hidden("period", target.period),
              "Delete",
              `Delete target ${target.metric} ${target.period} of ${site.siteId}`,
            )}</td></tr>`,
        )
        .join("\n");
      return `<h2>${escapeHtml(site.siteId)}</h2>
<h3>Context</h3>
${adminForm(
  "/admin/memory/context",
  csrf,
  `${hidden("site_id", site.siteId)}<textarea name="text" rows="4" cols="80" ` +
    `maxlength="${MAX_SITE_CONTEXT_CHARS}" aria-label="Context of ${escapeHtml(site.siteId)}` +
    `">${escapeHtml(site.context ?? "")}</textarea><br>`,
  "Save context",
  `Save context of ${site.siteId}`,
)}
<h3>Annotations</h3>
<table>
<tr><th>When</th><th>Kind</th><th>Text</th><th>Author</th><th>Id</th><th></th></tr>
${annotations || '<tr><td colspan="6">None.</td></tr>'}
</table>
<h3>Targets</h3>
<table>
<tr><th>Metric</th><th>Period</th><th>Value</th><th>Set by</th><th></th></tr>
${targets || '<tr><td colspan="5">None.</td></tr>'}
</table>`;
    })
    .join("\n");
  return adminDocument(
    "Plausible MCP team memory",
    `${header(view.admin, view.csrf)}
<h1>Team memory</h1>
${notice}<p>What members of <code>/internal</code> noted about the team's sites: annotations (deploys, campaigns, releases, outages), \
targets and site context. Keys on <code>/mcp</code> keep memories of their own, not shown here.</p>
<h2>Add</h2>
<p>${adminForm(
      "/admin/memory/annotation",
      csrf,
      `<label>Site <input name="site_id" required placeholder="example.com"></label> <label>Date ` +
        `<input name="date" required placeholder="2026-05-14"></label> <label>Kind <select ` +
        `name="kind">${options(ANNOTATION_KINDS)}</select></label> <label>Text <input name="text" ` +
        `required maxlength="${MAX_ANNOTATION_CHARS}" size="50"></label> `,
      "Add annotation",
    )}</p>
<p>${adminForm(
      "/admin/memory/target",
      csrf,
      `<label>Site <input name="site_id" required placeholder="example.com"></label> <label>Metric ` +
        `<select name="metric">${options(TARGET_METRICS)}</select></label> <label>Period <input ` +
        `name="period" required placeholder="2026-05 or 2026-Q2"></label> <label>Value <input ` +
        `name="value" required inputmode="numeric"></label> `,
      "Set target",
    )}</p>
<p>${adminForm(
      "/admin/memory/context",
      csrf,
      `<label>Site <input name="site_id" required placeholder="example.com"></label><br><textarea ` +
        `name="text" rows="3" cols="80" maxlength="${MAX_SITE_CONTEXT_CHARS}" aria-label="Context of a ` +
        `new site"></textarea><br>`,
      "Save context",
    )}</p>
${sites || "<p>Nothing noted yet.</p>"}`,
  );
}

/** The team's digest subscriptions (webhooks shown as scheme and host only), paused ones marked, with the latest deliveries. */
export function digestsPage(view: {
  admin: string;
  csrf: string;
  subscriptions: Subscription[];
  deliveries: StoredDelivery[];
  notice?: Notice;
}): string {
  const { csrf } = view;
  const notice = view.notice ? `<p role="status">${NOTICES[view.notice]}</p>` : "";
  const utc = (iso: string) => `${escapeHtml(iso.slice(0, 16).replace("T", " "))} UTC`;
  const state = (row: Subscription) =>
    (row.pausedAt ? `<strong>paused</strong> since ${utc(row.pausedAt)}` : "active") +
    (row.failuresInARow > 0 ? ` (${row.failuresInARow} failed in a row)` : "");
  const rows = view.subscriptions
    .map((row) =>
      tableRow([
        escapeHtml(row.siteId),
        escapeHtml(row.kinds.join(", ")),
        escapeHtml(row.format),
        escapeHtml(row.destination),
        escapeHtml(row.createdBy ?? ""),
        state(row),
        `<code>${escapeHtml(row.id)}</code>`,
        adminForm("/admin/digests/delete", csrf, hidden("id", row.id), "Delete", `Delete subscription ${row.id}`),
      ]),
    )
    .join("\n");
  const deliveries = view.deliveries
    .map((row) =>
      tableRow([
        utc(row.at),
        `<code>${escapeHtml(row.subscriptionId)}</code>`,
        escapeHtml(row.kind),
        escapeHtml(row.status),
        String(row.attempts),
        escapeHtml(row.detail ?? ""),
      ]),
    )
    .join("\n");
  const kinds = DIGEST_KINDS.map((kind) => {
    const checked = kind === "pacing_alerts" ? "" : " checked";
    return `<label><input type="checkbox" name="kinds" value="${kind}"${checked}> ${kind.replace("_", " ")}</label>`;
  }).join(" ");
  const fields = [
    '<label>Site <input name="site_id" required placeholder="example.com"></label>',
    '<label>Webhook <input name="webhook_url" type="url" required size="50" placeholder="https://hooks.slack.com/services/…"></label>',
    kinds,
    `<label>Format <select name="format">${options(DIGEST_FORMATS)}</select></label> `,
  ].join(" ");
  return htmlDocument(
    "Plausible MCP digests",
    `${header(view.admin, view.csrf)}
<h1>Digests and alerts</h1>
${notice}<p>Webhooks that get the team's weekly digest (Mondays from 08:00 in the site's timezone) and change alerts
(daily, at most one per site). A subscription is sent as the member who made it, and stops while they are blocked; one
whose deliveries kept failing is paused: delete it and subscribe again. Keys on <code>/mcp</code> keep subscriptions of
their own, not shown here.</p>
<h2>Add</h2>
<p>${adminForm("/admin/digests/subscribe", csrf, fields, "Subscribe")}</p>
<h2>Subscriptions</h2>
<table>
<tr><th>Site</th><th>Sends</th><th>Format</th><th>To</th><th>Made by</th><th>State</th><th>Id</th><th></th></tr>
${rows || '<tr><td colspan="8">None.</td></tr>'}
</table>
<h2>Latest deliveries</h2>
<table>
<tr><th>When</th><th>Subscription</th><th>What</th><th>Status</th><th>Tries</th><th>Detail</th></tr>
${deliveries || '<tr><td colspan="6">None yet.</td></tr>'}
</table>`,
  );
}

/** One table row of cells already escaped. */
function tableRow(cells: string[]): string {
  return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join("")}</tr>`;
}
