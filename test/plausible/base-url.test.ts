import { describe, expect, it } from "vitest";
import { PlausibleConfigError, parsePlausibleBaseUrl } from "../../src/plausible";

describe("parsePlausibleBaseUrl", () => {
  it.each([
    [undefined, "https://plausible.io/"],
    ["", "https://plausible.io/"],
    ["   ", "https://plausible.io/"],
    ["https://plausible.io", "https://plausible.io/"],
    ["https://plausible.example.com/", "https://plausible.example.com/"],
    ["https://example.com/plausible", "https://example.com/plausible/"],
    ["https://example.com:8443/stats/", "https://example.com:8443/stats/"],
    ["http://127.0.0.1:9999", "http://127.0.0.1:9999/"],
    ["http://127.1.2.3", "http://127.1.2.3/"],
    ["http://localhost", "http://localhost/"],
    ["http://localhost:8000/", "http://localhost:8000/"],
    ["http://[::1]:8000", "http://[::1]:8000/"],
    [" https://plausible.io ", "https://plausible.io/"],
  ])("accepts %j as %s", (raw, expected) => {
    expect(parsePlausibleBaseUrl(raw).href).toBe(expected);
  });

  it.each([
    ["http://example.com", /uses http for example\.com; the API key would travel unencrypted/],
    ["http://127.0.0.1.example.com", /uses http for 127\.0\.0\.1\.example\.com/],
    ["http://10.0.0.5:8000", /uses http for 10\.0\.0\.5/],
    ["https://user:hunter2@plausible.io", /must not contain a user name or password/],
    ["https://user@plausible.io", /must not contain a user name or password/],
    ["ftp://plausible.io", /uses ftp: but must use https/],
    ["plausible.io", /not a valid absolute URL/],
    ["https://plausible.io/?site=x", /must not have a query string or fragment/],
    ["https://plausible.io/#top", /must not have a query string or fragment/],
  ])("refuses %j", (raw, message) => {
    expect(() => parsePlausibleBaseUrl(raw)).toThrow(PlausibleConfigError);
    expect(() => parsePlausibleBaseUrl(raw)).toThrow(message);
  });

  it("never echoes a password it refuses", () => {
    for (const raw of ["https://user:hunter2@plausible.io", "user:hunter2@plausible.io", "http://u:hunter2@example.com"]) {
      expect(() => parsePlausibleBaseUrl(raw)).toThrow(PlausibleConfigError);
      try {
        parsePlausibleBaseUrl(raw);
      } catch (error) {
        expect((error as Error).message).not.toContain("hunter2");
      }
    }
  });
});
