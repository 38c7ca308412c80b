import { z } from "zod";

// The parts of Plausible's answers this client relies on. Unknown extra
// fields are tolerated (Plausible adds fields over time); missing or
// mistyped ones mean the answer did not come from a compatible Plausible.

interface ResultRow {
  metrics: unknown[];
  dimensions: Array<string | number | null>;
}

// Dimension values are strings, except visit:city's, which are integer GeoName
// ids (e.g. 5391959); a value Plausible could not determine may be null.
const isDimensionValue = (value: unknown) => value === null || typeof value === "string" || typeof value === "number";

// A plain check per row: zod's object parser cannot compile itself on Workers (no eval), and row
// by row it was the largest part of reading a long series (bench/README.md, "Where a call's CPU goes").
const resultRowShape = z.custom<ResultRow>(
  (row) =>
    typeof row === "object" &&
    row !== null &&
    Array.isArray((row as ResultRow).metrics) &&
    Array.isArray((row as ResultRow).dimensions) &&
    (row as ResultRow).dimensions.every(isDimensionValue),
  { message: "expected a row with a metrics array and a dimensions array of strings, numbers or nulls" },
);

export const queryResultShape = z.object({
  results: z.array(resultRowShape),
  meta: z.record(z.string(), z.unknown()),
  query: z.record(z.string(), z.unknown()),
});

// Cursor pagination shared by the Sites API list endpoints; `after: null`
// means there is no next page.
const paginationMeta = z.object({ meta: z.object({ after: z.string().nullable().optional() }).optional() });

export const sitesPageShape = paginationMeta.extend({
  sites: z.array(z.object({ domain: z.string(), timezone: z.string().optional() })),
});

export const goalsPageShape = paginationMeta.extend({
  goals: z.array(
    z.object({
      id: z.union([z.string(), z.number()]),
      goal_type: z.enum(["event", "page", "scroll"]),
      display_name: z.string(),
      event_name: z.string().nullable(),
      page_path: z.string().nullable(),
      // Scroll goals: the share of the page (percent) a visitor must scroll past.
      scroll_threshold: z.number().optional(),
      custom_props: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

// GET /api/v1/sites/custom-props answers {"custom_properties": [{"property": "author"}, ...]}.
export const customPropsPageShape = paginationMeta.extend({
  custom_properties: z.array(z.object({ property: z.string() })),
});

// GET /api/v1/stats/realtime/visitors answers a bare integer.
export const realtimeVisitorsShape = z.number().int().nonnegative();
