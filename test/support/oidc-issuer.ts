import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from "jose";
import { interceptOrigin } from "./fetch-boundary";

/**
 * A fake OpenID Connect issuer at the fetch boundary: discovery, a JWKS from a real jose key pair,
 * an authorization step (played by the test's "browser") and a token endpoint that checks the
 * client secret, redirect URI and PKCE verifier before returning an ID token it signed.
 * Tests shape the next ID token with `nextIdToken` to play a hostile or broken issuer.
 */

export interface FakeUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  hd?: string;
}

export interface IdTokenTampering {
  /** Claims to overwrite (or, with `undefined`, remove) in the signed token. */
  claims?: Record<string, unknown>;
  /** Sign with a key the issuer never published (same kid): a forged token. */
  forgeSignature?: boolean;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  nonce: string;
  challenge: string;
  user: FakeUser;
}

const KEY_ID = "fake-issuer-key-1";

export class FakeOidcIssuer {
  user: FakeUser = { sub: "1001", email: "ada@example.com", email_verified: true, name: "Ada Lovelace" };
  /** Applied to the next ID token only. */
  nextIdToken: IdTokenTampering | undefined;
  /** Every token request body the issuer received, to assert what the worker sent. */
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, PendingCode>();

  private constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly signingKey: CryptoKey,
    private readonly forgeryKey: CryptoKey,
    private readonly publicJwk: Record<string, unknown>,
  ) {}

  static async create(options: { issuer: string; clientId: string; clientSecret: string }): Promise<FakeOidcIssuer> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const forgery = await generateKeyPair("RS256");
    const publicJwk = { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: "RS256", use: "sig" };
    return new FakeOidcIssuer(options.issuer, options.clientId, options.clientSecret, privateKey, forgery.privateKey, publicJwk);
  }

  /** Route the worker's outbound fetches to this issuer; everything else goes to the real fetch. */
  install(): void {
    interceptOrigin(new URL(this.issuer).origin, (request) => this.handle(request));
  }

  get authorizationEndpoint(): string {
    return `${this.issuer}/authorize`;
  }

  /**
   * The user signs in at the issuer: checks what the worker sent and answers the redirect back to
   * the worker's callback, as the issuer's login page would.
   */
  signIn(authorizationUrl: string): string {
    const url = new URL(authorizationUrl);
    if (url.origin + url.pathname !== this.authorizationEndpoint) throw new Error(`not this issuer: ${authorizationUrl}`);
    const params = url.searchParams;
    const required = ["client_id", "redirect_uri", "state", "nonce", "code_challenge"];
    for (const name of required) if (!params.get(name)) throw new Error(`issuer authorize request lacks ${name}`);
    if (params.get("client_id") !== this.clientId) throw new Error("wrong client_id at the issuer");
    if (params.get("code_challenge_method") !== "S256") throw new Error("issuer requires PKCE S256");
    if (!params.get("scope")?.split(" ").includes("openid")) throw new Error("openid scope missing");
    const code = base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
    this.codes.set(code, {
      clientId: params.get("client_id")!,
      redirectUri: params.get("redirect_uri")!,
      nonce: params.get("nonce")!,
      challenge: params.get("code_challenge")!,
      user: { ...this.user },
    });
    const back = new URL(params.get("redirect_uri")!);
    back.searchParams.set("code", code);
    back.searchParams.set("state", params.get("state")!);
    return back.toString();
  }

  async handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/.well-known/openid-configuration") {
      return Response.json({
        issuer: this.issuer,
        authorization_endpoint: this.authorizationEndpoint,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (pathname === "/jwks") return Response.json({ keys: [this.publicJwk] });
    if (pathname === "/token" && request.method === "POST") return this.token(request);
    return new Response("not found", { status: 404 });
  }

  private async token(request: Request): Promise<Response> {
    const body = new URLSearchParams([...(await request.formData())].map(([name, value]) => [name, String(value)]));
    this.tokenRequests.push(body);
    const expected = "Basic " + btoa(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.clientSecret)}`);
    if (request.headers.get("Authorization") !== expected) return Response.json({ error: "invalid_client" }, { status: 401 });
    const pending = this.codes.get(body.get("code") ?? "");
    this.codes.delete(body.get("code") ?? "");
    if (!pending || body.get("grant_type") !== "authorization_code" || body.get("redirect_uri") !== pending.redirectUri) {
      return Response.json({ error: "invalid_grant" }, { status: 400 });
    }
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body.get("code_verifier") ?? ""));
    if (base64url.encode(new Uint8Array(digest)) !== pending.challenge) return Response.json({ error: "invalid_grant" }, { status: 400 });
    return Response.json({
      access_token: "issuer-access-token",
      token_type: "Bearer",
      expires_in: 3600,
      id_token: await this.idToken(pending),
    });
  }

  private async idToken(pending: PendingCode): Promise<string> {
    const tampering = this.nextIdToken;
    this.nextIdToken = undefined;
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { ...pending.user, nonce: pending.nonce, iss: this.issuer, aud: pending.clientId, iat: now, exp: now + 300 };
    for (const [name, value] of Object.entries(tampering?.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: KEY_ID, typ: "JWT" })
      .sign(tampering?.forgeSignature ? this.forgeryKey : this.signingKey);
  }
}
