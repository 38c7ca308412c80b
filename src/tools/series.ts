import { featureRefusedIn, PlausibleApiError, type QueryBody, type QueryResult } from "../plausible";
import { runQueries } from "./query-parts";
import type { ToolContext } from "./types";

/** A series' buckets in order, each with its metric values, or undefined where Plausible had no data. */
export interface Series {
  answer: QueryResult;
  buckets: { time: string; metrics: unknown[] | undefined }[];
}

// Plausible resolves "month" and "year" to the whole calendar period, and with
// time_labels lists buckets to its end; trim_relative_date_range ends it today.
const WHOLE_PERIODS = new Set(["month", "year"]);

// The latest offset any timezone has (UTC+14): with no better clue, no bucket
// that has started anywhere on Earth is dropped.
const LATEST_OFFSET_MINUTES = 14 * 60;

/**
 * Asks for a series (`body` has one time dimension) with every bucket labelled, and returns the buckets
 * up to now. For "month" and "year" Plausible is asked to end the period today; a Community Edition
 * older than 3.1 refuses that, and is asked again without it. Buckets after now are dropped here in
 * any case, so no server version reports the future.
 */
export async function fetchSeries(context: ToolContext, body: QueryBody): Promise<Series> {
  const labelled: QueryBody = { ...body, include: { ...body.include, time_labels: true } };
  const trimmed: QueryBody = { ...labelled, include: { ...labelled.include, trim_relative_date_range: true } };
  let answer: QueryResult;
  if (typeof body.date_range === "string" && WHOLE_PERIODS.has(body.date_range)) {
    try {
      [answer] = (await runQueries(context, [trimmed])) as [QueryResult];
    } catch (error) {
      if (!(error instanceof PlausibleApiError && featureRefusedIn(error.plausibleMessage)?.key === "trim_relative_date_range"))
        throw error;
      [answer] = (await runQueries(context, [labelled])) as [QueryResult];
    }
  } else {
    [answer] = (await runQueries(context, [labelled])) as [QueryResult];
  }

  const byTime = new Map(answer.results.map((row) => [String(row.dimensions[0]), row.metrics]));
  const labels = Array.isArray(answer.meta?.time_labels) ? (answer.meta.time_labels as string[]) : [...byTime.keys()];
  const now = siteLocalNow(answer);
  return { answer, buckets: labels.filter((time) => time <= now).map((time) => ({ time, metrics: byTime.get(time) })) };
}

/**
 * Now in the site's timezone, as "YYYY-MM-DD HH:MM:SS", comparable with Plausible's bucket labels
 * ("2024-01-01", "2024-01-01 05:00:00"). The offset comes from the resolved date range Plausible echoes
 * in `query.date_range` (e.g. "2024-01-31T23:59:59+01:00").
 */
function siteLocalNow(answer: QueryResult): string {
  const range = answer.query?.date_range;
  const end = Array.isArray(range) && typeof range[1] === "string" ? range[1] : "";
  const offset = /(Z|([+-])(\d{2}):(\d{2}))$/.exec(end);
  const minutes =
    offset === null
      ? LATEST_OFFSET_MINUTES
      : offset[1] === "Z"
        ? 0
        : (offset[2] === "-" ? -1 : 1) * (Number(offset[3]) * 60 + Number(offset[4]));
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 19).replace("T", " ");
}
