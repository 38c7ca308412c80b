/**
 * Where a digest or an alert may be sent: an https URL on a public host. A webhook URL is chosen by
 * whoever subscribes, so without these checks the server could be made to post to itself, to the
 * network it runs in or to a cloud metadata service (SSRF). Names that resolve to private addresses
 * are stopped at fetch time in production by the global_fetch_strictly_public flag; redirects are
 * never followed (see src/digest/delivery.ts).
 */
export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export interface WebhookUrlOptions {
  /** DIGEST_ALLOW_INSECURE_WEBHOOKS: http and local hosts, for the demo's and end-to-end tests' local sink only. */
  allowInsecure?: boolean;
}

const MAX_URL_CHARS = 2048;

/** Host names that only mean something inside a network, or name a metadata service. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|intranet|lan|home|corp|home\.arpa|localdomain)$/;
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "instance-data", "metadata.azure.com"]);

/** IPv4 ranges that are not public: [first address, prefix length]. */
const NON_PUBLIC_IPV4: readonly [string, number][] = [
  ["0.0.0.0", 8], // this network
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

export function checkWebhookUrl(text: string, options: WebhookUrlOptions = {}): WebhookUrlCheck {
  if (text.length > MAX_URL_CHARS) return { ok: false, reason: `it is longer than ${MAX_URL_CHARS} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "it is not an absolute URL; give the webhook's full https:// address" };
  }
  if (options.allowInsecure && (url.protocol === "http:" || url.protocol === "https:")) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "it must use https://" };
  if (url.username || url.password) return { ok: false, reason: "it must not carry a user name or password before the host" };
  const refused = nonPublicHost(url.hostname.toLowerCase());
  return refused ? { ok: false, reason: `${refused}; give a webhook on a public host` } : { ok: true, url };
}

/** A webhook URL as it is shown back: scheme and host only, since paths and queries of webhooks are their secret. */
export function maskWebhookUrl(url: URL): string {
  return `${url.protocol}//${url.host}/…`;
}

function nonPublicHost(host: string): string | undefined {
  if (host.startsWith("[")) return nonPublicIpv6(host.slice(1, -1));
  if (/^[\d.]+$/.test(host)) return nonPublicIpv4(host);
  const name = host.replace(/\.$/, "");
  if (!name.includes(".")) return `"${name}" is not a public host name (no domain)`;
  if (LOCAL_NAME.test(name) || METADATA_NAMES.has(name)) return `"${name}" names a local network or metadata host`;
  return undefined;
}

function ipv4Number(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

function nonPublicIpv4(address: string): string | undefined {
  const value = ipv4Number(address);
  for (const [first, prefix] of NON_PUBLIC_IPV4) {
    const size = 2 ** (32 - prefix);
    const start = ipv4Number(first);
    if (value >= start && value < start + size) return `${address} is in ${first}/${prefix}, which is not a public range`;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address as the URL parser normalised it (compressed, hex). */
function ipv6Groups(address: string): number[] {
  const [head = "", tail = ""] = address.includes("::") ? address.split("::") : [address, ""];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const first = parse(head);
  const last = parse(tail);
  return [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
}

function nonPublicIpv6(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedIpv4 = `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`;
  if (groups.slice(0, 7).every((group) => group === 0) && g7 <= 1) return `[${address}] is the loopback or unspecified address`;
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address they embed.
  const mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff;
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (mapped || nat64) return nonPublicIpv4(embeddedIpv4) && `[${address}] embeds ${embeddedIpv4}, which is not public`;
  if ((g0 & 0xfe00) === 0xfc00) return `[${address}] is a unique-local address (fc00::/7)`;
  if ((g0 & 0xffc0) === 0xfe80) return `[${address}] is a link-local address (fe80::/10)`;
  if ((g0 & 0xff00) === 0xff00) return `[${address}] is a multicast address (ff00::/8)`;
  if (g0 === 0x2001 && g1 === 0x0db8) return `[${address}] is a documentation address (2001:db8::/32)`;
  return undefined;
}
