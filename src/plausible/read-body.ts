import { readBounded } from "../shared/read-bounded";
import { PlausibleResponseError } from "./errors";

// Reads a response body as text, refusing more than `maxBytes`: a declared
// Content-Length over the cap is refused before reading, and otherwise the
// bytes are counted while streaming.
export async function readBodyWithinLimit(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(`declares ${declared} bytes`, maxBytes);
  }
  if (response.body === null) return "";
  // A declared length of an unencoded body is where HTTP framing ends it, so the runtime reads it in one
  // go, without a JavaScript step per chunk; a compressed body's length says nothing of what it inflates to.
  const encoding = response.headers.get("content-encoding");
  if (Number.isFinite(declared) && (encoding === null || encoding === "identity")) return response.text();

  const body = await readBounded(response.body as ReadableStream<Uint8Array>, maxBytes);
  if (body === undefined) throw tooLarge(`ran past ${maxBytes} bytes`, maxBytes);
  return new TextDecoder().decode(body);
}

function tooLarge(what: string, maxBytes: number): PlausibleResponseError {
  return new PlausibleResponseError(
    `Plausible's response ${what}, over the ${maxBytes}-byte limit. Ask for less: add a pagination ` +
      "limit, fewer dimensions or a shorter date range.",
  );
}
