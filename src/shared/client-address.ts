/**
 * The group of client addresses that shares one per-address bucket: an IPv4 address on its own, an
 * IPv6 address's /64. One IPv6 subscriber or server usually holds a whole /64 (2^64 addresses), so
 * a bucket per IPv6 address would be a bucket per request for anyone who wants one.
 */
export function clientAddressGroup(request: Request): string {
  const address = request.headers.get("CF-Connecting-IP");
  return address ? addressGroup(address) : "unknown";
}

/** `address` itself for IPv4; for IPv6, its first 64 bits as `a:b:c:d::/64` (an IPv4-mapped address is its IPv4). */
export function addressGroup(address: string): string {
  const text = address.trim().toLowerCase();
  if (!text.includes(":")) return text;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (mapped) return mapped[1]!;
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  // A dotted IPv4 tail stands for the last two groups.
  const rightGroups = right.length + (right.at(-1)?.includes(".") ? 1 : 0);
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - rightGroups)).fill("0");
  const prefix = [...left, ...zeros, ...right].slice(0, 4);
  if (prefix.length < 4 || prefix.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return text;
  return `${prefix.map((group) => parseInt(group, 16).toString(16)).join(":")}::/64`;
}
