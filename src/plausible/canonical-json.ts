// JSON with object keys sorted at every depth, so two equal requests built in
// a different key order give the same string (and the same cache key).
// Array order is kept: it is meaningful (metrics, order_by, filters).
export function canonicalJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, nested: unknown) => (isPlainObject(nested) ? sortKeys(nested) : nested));
  if (json === undefined) throw new TypeError("canonicalJson: the value has no JSON form (undefined, a function or a symbol).");
  return json;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function sortKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, object[key]]),
  );
}
