// Compiles a query's filter tree into a predicate over (visit, event) pairs.
// Visit dimensions read the visit, event dimensions read the event, and
// behavioral filters (has_done, has_not_done) look at all events of the visit.

import type { SimEvent, Visit, VisitAttributes } from "./dataset.ts";
import type { Filter } from "./validate.ts";

export type Predicate = (visit: Visit, event: SimEvent | null) => boolean;

export type DimensionReader = (visit: Visit, event: SimEvent | null) => string | number | null;

/**
 * A reader for a dimension other than event:goal, resolved once per query so
 * the per-visit work is a property read. Event dimensions read null without
 * an event; the engine walks events whenever a filter or dimension names one.
 */
export function dimensionReader(dimension: string): DimensionReader {
  switch (dimension) {
    case "visit:entry_page":
      return (visit) => visit.entryPage;
    case "visit:exit_page":
      return (visit) => visit.exitPage;
    case "visit:entry_page_hostname":
      return (visit) => visit.entryHostname;
    case "visit:exit_page_hostname":
      return (visit) => visit.exitHostname;
    case "event:name":
      return (_visit, event) => event?.name ?? null;
    case "event:page":
      return (_visit, event) => event?.page ?? null;
    case "event:hostname":
      return (_visit, event) => event?.hostname ?? null;
  }
  if (dimension.startsWith("event:props:")) {
    const prop = dimension.slice("event:props:".length);
    return (_visit, event) => (event ? (event.props[prop] ?? "(none)") : null);
  }
  const attribute = dimension.slice("visit:".length) as keyof VisitAttributes;
  return (visit) => visit.attributes[attribute];
}

function valuesReader(dimension: string): (visit: Visit, event: SimEvent | null) => Array<string | number> {
  if (dimension === "event:goal") return (_visit, event) => (event ? event.goals.map((goal) => goal.display_name) : []);
  const read = dimensionReader(dimension);
  return (visit, event) => {
    const value = read(visit, event);
    return value === null ? [] : [value];
  };
}

function compileLeaf(filter: Filter): Predicate {
  const [operator, dimension, rawClauses, modifiers] = filter as [
    string,
    string,
    Array<string | number>,
    { case_sensitive?: boolean } | undefined,
  ];
  const caseSensitive = modifiers?.case_sensitive ?? true;
  const normalize = (value: string | number) => (caseSensitive ? String(value) : String(value).toLowerCase());
  const clauses = rawClauses.map(normalize);

  let test: (value: string) => boolean;
  switch (operator) {
    case "is":
    case "is_not":
      test = (value) => clauses.includes(value);
      break;
    case "contains":
    case "contains_not":
      test = (value) => clauses.some((clause) => value.includes(clause));
      break;
    default: {
      const patterns = rawClauses.map((clause) => new RegExp(String(clause), caseSensitive ? "" : "i"));
      test = (value) => patterns.some((pattern) => pattern.test(value));
    }
  }
  const negated = operator === "is_not" || operator === "contains_not" || operator === "matches_not";
  const values = valuesReader(dimension);
  return (visit, event) => {
    const matched = values(visit, event).some((value) => test(normalize(value)));
    return negated ? !matched : matched;
  };
}

/** Compiles a filter tree. Throws a SyntaxError for a regex JavaScript rejects. */
function compileFilter(filter: Filter): Predicate {
  const [operator, operand] = filter;
  switch (operator) {
    case "and": {
      const parts = (operand as Filter[]).map((part) => compileFilter(part));
      return (visit, event) => parts.every((part) => part(visit, event));
    }
    case "or": {
      const parts = (operand as Filter[]).map((part) => compileFilter(part));
      return (visit, event) => parts.some((part) => part(visit, event));
    }
    case "not": {
      const inner = compileFilter(operand as Filter);
      return (visit, event) => !inner(visit, event);
    }
    case "has_done":
    case "has_not_done": {
      const inner = compileFilter(operand as Filter);
      const done = (visit: Visit) => visit.events.some((event) => inner(visit, event));
      return operator === "has_done" ? (visit) => done(visit) : (visit) => !done(visit);
    }
    default:
      return compileLeaf(filter);
  }
}

export function compileFilters(filters: Filter[]): Predicate {
  if (filters.length === 0) return () => true;
  const parts = filters.map((filter) => compileFilter(filter));
  return (visit, event) => parts.every((part) => part(visit, event));
}
