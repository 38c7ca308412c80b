import type { DigestFormat } from "../tools/digest-subscriptions";
import type { ChangeAlert, WeeklyDigest } from "./content";

/**
 * Webhook bodies: Slack's incoming webhooks take `{text, blocks}`, Google Chat's `{text}`, and the
 * plain JSON body carries the digest's data. None carries a key, a token or the webhook URL.
 */
export type WebhookBody = Record<string, unknown>;

function digestLines(digest: WeeklyDigest): { title: string; lines: string[] } {
  const change = digest.changePercent === null ? "" : ` (${digest.changePercent > 0 ? "+" : ""}${Math.round(digest.changePercent)} %)`;
  const lines = [
    `Visitors ${digest.from} to ${digest.to}: ${digest.visitors} against ${digest.expected} expected${change}: ${digest.verdict}.`,
    `Daily: ${digest.sparkline}`,
  ];
  if (digest.anomalies.length > 0) lines.push("Unusual:", ...digest.anomalies.map((anomaly) => `• ${anomaly.description}`));
  else lines.push("No flagged days or segment anomalies.");
  if (digest.movers.length > 0)
    lines.push(
      "Biggest movers:",
      ...digest.movers.map((mover) => `• ${mover.dimension} ${mover.value}: ${mover.actual} (expected ${mover.expected})`),
    );
  if (digest.annotations.length > 0) lines.push("Noted this week:", ...digest.annotations.map((annotation) => `• ${annotation}`));
  if (digest.pacing) lines.push(`Pacing: ${digest.pacing}`);
  return { title: `Weekly digest for ${digest.siteId}`, lines };
}

function alertLines(alert: ChangeAlert): { title: string; lines: string[] } {
  return {
    title: `Change alert for ${alert.siteId}`,
    lines: [...alert.anomalies.map((anomaly) => `• ${anomaly.description}`), alert.falseAlarmRate],
  };
}

function body(format: DigestFormat, kind: "weekly_digest" | "change_alert", title: string, lines: string[], data: object): WebhookBody {
  const text = `${title}\n${lines.join("\n")}`;
  if (format === "slack")
    return {
      text,
      blocks: [
        { type: "header", text: { type: "plain_text", text: title } },
        { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
      ],
    };
  if (format === "google_chat") return { text: `*${title}*\n${lines.join("\n")}` };
  return { type: kind, title, text, ...data };
}

export function digestBody(digest: WeeklyDigest, format: DigestFormat): WebhookBody {
  const { title, lines } = digestLines(digest);
  return body(format, "weekly_digest", title, lines, { digest });
}

export function alertBody(alert: ChangeAlert, format: DigestFormat): WebhookBody {
  const { title, lines } = alertLines(alert);
  return body(format, "change_alert", title, lines, { alert });
}
