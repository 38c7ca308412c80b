import { describe, expect, it } from "vitest";
import { canonicalJson, type PlausibleRequest } from "../../src/plausible";

describe("canonicalJson", () => {
  it("gives the same string whatever the key order, at every depth", () => {
    const a: PlausibleRequest = {
      kind: "query",
      body: { site_id: "example.com", metrics: ["visitors"], date_range: "7d", include: { total_rows: true, imports: false } },
    };
    const b = {
      body: { include: { imports: false, total_rows: true }, date_range: "7d", metrics: ["visitors"], site_id: "example.com" },
      kind: "query",
    };

    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe(
      '{"body":{"date_range":"7d","include":{"imports":false,"total_rows":true},' +
        '"metrics":["visitors"],"site_id":"example.com"},"kind":"query"}',
    );
  });

  it("keeps array order, which is meaningful", () => {
    expect(canonicalJson({ metrics: ["visitors", "visits"] })).not.toBe(canonicalJson({ metrics: ["visits", "visitors"] }));
  });

  it("sorts keys inside objects nested in arrays (filters, order_by)", () => {
    const filters = [["is", "visit:country", ["EE"], { case_sensitive: false }]];
    expect(canonicalJson({ filters, x: [{ b: 1, a: 2 }] })).toBe(
      '{"filters":[["is","visit:country",["EE"],{"case_sensitive":false}]],"x":[{"a":2,"b":1}]}',
    );
  });

  it("drops undefined properties like JSON.stringify, so an absent and an undefined field key the same", () => {
    expect(canonicalJson({ kind: "sites", extra: undefined })).toBe(canonicalJson({ kind: "sites" }));
  });

  it("encodes scalars as JSON does", () => {
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson(42)).toBe("42");
    expect(canonicalJson(null)).toBe("null");
  });

  it("refuses a value with no JSON form instead of returning undefined", () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});
