/**
 * Secrets the server must read back later (a webhook URL, a Plausible key for scheduled runs),
 * encrypted at rest with AES-GCM under a key derived by HKDF from a server secret. `context` binds a
 * sealed text to where it is stored (its scope and row), so it cannot be copied to another row.
 */
const SALT = new TextEncoder().encode("plausible-mcp sealed text v1");

async function sealingKey(secret: string, purpose: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(purpose) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export interface Sealer {
  seal(text: string, context: string): Promise<string>;
  /** The text sealed with this secret and context; throws when either differs or the sealed text was altered. */
  open(sealed: string, context: string): Promise<string>;
}

/** Seals and opens texts for one purpose (e.g. "digest webhooks"); other purposes get other keys from the same secret. */
export function sealerFor(secret: string, purpose: string): Sealer {
  const key = sealingKey(secret, purpose);
  return {
    async seal(text, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
        await key,
        new TextEncoder().encode(text),
      );
      return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
    },
    async open(sealed, context) {
      const [iv = "", body = ""] = sealed.split(".");
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(iv), additionalData: new TextEncoder().encode(context) },
        await key,
        fromBase64(body),
      );
      return new TextDecoder().decode(plain);
    },
  };
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
