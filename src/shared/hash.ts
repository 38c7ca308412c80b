const HEX_OF_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lower-case hex of `bytes`: the one spelling of digests, MACs and random ids. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += HEX_OF_BYTE[byte];
  return text;
}

/** `byteCount` random bytes as hex (twice as many characters). */
export function randomHex(byteCount: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** Hex SHA-256: how keys and user ids become names without being revealed. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * How a log line names a person it refused: a short SHA-256 of the lower-cased address, so lines
 * about the same address can be found together (hash the address you are looking for) without the
 * address itself ever being written.
 */
export async function addressHash(email: string): Promise<string> {
  return `sha256:${(await sha256Hex(email.trim().toLowerCase())).slice(0, 16)}`;
}
