import { describe, expect, it } from "vitest";
import { checkWebhookUrl, maskWebhookUrl } from "../../src/shared/webhook-url";

describe("webhook URLs", () => {
  it.each([
    "https://hooks.slack.com/services/T000/B000/XXXX",
    "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t",
    "https://example.com:8443/hook",
    "https://8.8.8.8/hook",
    "https://[2606:4700::1111]/hook",
  ])("accepts %s", (url) => {
    expect(checkWebhookUrl(url)).toMatchObject({ ok: true });
  });

  it.each([
    ["plain http", "http://hooks.example.com/x"],
    ["another scheme", "ftp://hooks.example.com/x"],
    ["not a URL", "hooks.example.com/x"],
    ["credentials in the URL", "https://user:pass@hooks.example.com/x"],
    ["localhost", "https://localhost/x"],
    ["a localhost subdomain", "https://sink.localhost/x"],
    ["a .local name", "https://printer.local/x"],
    ["a .internal name", "https://metadata.google.internal/x"],
    ["a single-label name", "https://intranet/x"],
    ["loopback IPv4", "https://127.0.0.1/x"],
    ["loopback IPv4 in hex", "https://0x7f000001/x"],
    ["loopback IPv4 as a number", "https://2130706433/x"],
    ["this network", "https://0.0.0.0/x"],
    ["private 10/8", "https://10.1.2.3/x"],
    ["private 172.16/12", "https://172.20.0.1/x"],
    ["private 192.168/16", "https://192.168.1.1/x"],
    ["link-local and cloud metadata", "https://169.254.169.254/latest/meta-data"],
    ["CGNAT 100.64/10", "https://100.100.1.1/x"],
    ["benchmarking 198.18/15", "https://198.18.0.1/x"],
    ["multicast", "https://224.0.0.1/x"],
    ["broadcast", "https://255.255.255.255/x"],
    ["loopback IPv6", "https://[::1]/x"],
    ["unspecified IPv6", "https://[::]/x"],
    ["unique-local IPv6", "https://[fd00::1]/x"],
    ["link-local IPv6", "https://[fe80::1]/x"],
    ["IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/x"],
    ["IPv4-mapped metadata", "https://[::ffff:169.254.169.254]/x"],
    ["NAT64 of a private address", "https://[64:ff9b::10.0.0.1]/x"],
    ["IPv6 multicast", "https://[ff02::1]/x"],
    ["the metadata name", "https://metadata/x"],
  ])("refuses %s", (_, url) => {
    const check = checkWebhookUrl(url);
    expect(check.ok).toBe(false);
  });

  it("allows a local http sink only when insecure webhooks are allowed (demo and end-to-end tests)", () => {
    expect(checkWebhookUrl("http://127.0.0.1:9999/hook").ok).toBe(false);
    expect(checkWebhookUrl("http://127.0.0.1:9999/hook", { allowInsecure: true }).ok).toBe(true);
  });

  it("masks a URL to its scheme and host", () => {
    expect(maskWebhookUrl(new URL("https://hooks.slack.com/services/T000/B000/XXXX?x=1"))).toBe("https://hooks.slack.com/…");
  });
});
