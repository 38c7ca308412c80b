import { EVENT_DIMENSIONS, METRICS, NAMED_DATE_RANGES, TIME_DIMENSIONS, VISIT_DIMENSIONS, versionTableMarkdown } from "../plausible";
import { DATE_RULES, DIMENSION_RULES, METRIC_RULES } from "../tools/instructions";
import { filters } from "../tools/schemas";

const list = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(", ");

/**
 * plausible://reference/query-language: the vocabulary and rules of Plausible's
 * Stats API v2 that the tools accept, the same for every caller.
 */
export const QUERY_LANGUAGE_REFERENCE = `# Plausible Stats API v2: query language

## Metrics
${list(METRICS)}

${METRIC_RULES}

## Dimensions
- Event: ${list(EVENT_DIMENSIONS)}, \`event:goal\`, \`event:props:<name>\` (a custom property; list_custom_props names them)
- Visit: ${list(VISIT_DIMENSIONS)}
- Time (grouping and ordering only, never filters): ${list(TIME_DIMENSIONS)}

${DIMENSION_RULES}

## Date ranges
Named: ${list(NAMED_DATE_RANGES)}, and any \`Nd\` or \`Nmo\`; or a pair of dates \`["YYYY-MM-DD", "YYYY-MM-DD"]\`, or of datetimes with \
offsets (\`2024-05-07T00:00:00+02:00\`).

${DATE_RULES}

## Filters
${filters.description}

## Community Edition versions
${versionTableMarkdown()}
`;
