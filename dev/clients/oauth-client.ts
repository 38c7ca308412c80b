import { createServer, type Server } from "node:http";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

export interface RedirectHit {
  code: string | null;
  state: string | null;
  error: string | null;
}

/** The OAuth client's loopback redirect URI (RFC 8252 §7.3), served by the test. */
export interface LoopbackRedirect {
  redirectUrl: string;
  /** Every request that reached the redirect URI, in order. */
  hits: RedirectHit[];
  close(): Promise<void>;
}

export async function startLoopbackRedirect(): Promise<LoopbackRedirect> {
  const hits: RedirectHit[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      response.writeHead(404).end();
      return;
    }
    hits.push({ code: url.searchParams.get("code"), state: url.searchParams.get("state"), error: url.searchParams.get("error") });
    response.writeHead(200, { "Content-Type": "text/plain" }).end("Signed in; the test takes it from here.");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * An MCP client's OAuth state kept in memory, as a desktop client would keep it on disk. The
 * authorization URL is recorded rather than opened: the test opens it in headless Chromium.
 */
export class RecordingOAuthProvider implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  private information: OAuthClientInformationMixed | undefined;
  private savedTokens: OAuthTokens | undefined;
  private verifier = "";
  // Plain fields rather than parameter properties: Node runs this file as-is (type stripping) for the bench.
  private readonly redirectUri: string;
  private readonly clientName: string;

  constructor(redirectUri: string, clientName: string) {
    this.redirectUri = redirectUri;
    this.clientName = clientName;
  }

  get redirectUrl(): string {
    return this.redirectUri;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName,
      redirect_uris: [this.redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(authorizationUrl: URL) {
    this.authorizationUrls.push(authorizationUrl);
  }
  saveCodeVerifier(codeVerifier: string) {
    this.verifier = codeVerifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
