// Local OpenID Connect issuer for the demo and the end-to-end tests: oauth2-mock-server
// (discovery, JWKS, authorization code with PKCE and nonce, signed ID tokens) with the
// identity claims of a chosen demo user added to every token it signs.

import { createHash } from "node:crypto";
import { Events, OAuth2Server } from "oauth2-mock-server";

export interface DemoUser {
  email: string;
  /** Display name; defaults to the email's local part. */
  name?: string;
}

export interface LocalIssuerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Who signs in until `signInAs` says otherwise; defaults to demo@example.com. */
  user?: DemoUser;
}

export interface LocalIssuer {
  /** The issuer identifier, exactly as the discovery document names it (OIDC_ISSUER). */
  url: string;
  port: number;
  /** The user every later sign-in is for. */
  readonly user: Required<DemoUser> & { sub: string };
  signInAs(user: DemoUser): void;
  close(): Promise<void>;
}

export const DEFAULT_DEMO_USER: DemoUser = { email: "demo@example.com", name: "Demo User" };

const HOST = "127.0.0.1";

/**
 * The mock signs the user in without a login form: its /authorize redirects straight back with a
 * code. Who that code belongs to is fixed when it is issued, so switching users between sign-ins
 * never changes a sign-in already under way.
 */
export async function startLocalIssuer(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  let current = identityOf(options.user ?? DEFAULT_DEMO_USER);
  const userByCode = new Map<string, ReturnType<typeof identityOf>>();

  server.service.on(Events.BeforeAuthorizeRedirect, ({ url }: { url: URL }) => {
    const code = url.searchParams.get("code");
    if (code) userByCode.set(code, current);
  });
  server.service.on(
    Events.BeforeTokenSigning,
    (token: { payload: Record<string, unknown> }, request: { body?: Record<string, unknown> }) => {
      const code = typeof request.body?.code === "string" ? request.body.code : undefined;
      const user = (code && userByCode.get(code)) || current;
      // Not Google, so no `hd`: the worker's domain policy checks the verified email alone.
      Object.assign(token.payload, { sub: user.sub, email: user.email, email_verified: true, name: user.name });
    },
  );

  await server.start(options.port ?? 0, HOST);
  const port = server.address().port;
  // The mock would call itself "localhost", which can resolve to ::1 where it does not listen.
  server.issuer.url = `http://${HOST}:${port}`;

  return {
    url: server.issuer.url,
    port,
    get user() {
      return current;
    },
    signInAs(user) {
      current = identityOf(user);
    },
    close: () => server.stop(),
  };
}

/** A stable `sub` per email, as a real issuer keeps one per account. */
function identityOf(user: DemoUser): Required<DemoUser> & { sub: string } {
  const email = user.email.trim();
  return {
    email,
    name: user.name ?? email.split("@")[0] ?? email,
    sub: "user-" + createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 16),
  };
}
