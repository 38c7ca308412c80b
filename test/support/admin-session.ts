import { BASE, type Browser, type useSignInFakes } from "./harness";

/** The /admin steps the admin tests share: sign in through the fake issuer, read a form's CSRF token, post a form. */

type SignInFakes = ReturnType<typeof useSignInFakes>;

/** Opens `path` signed out, follows the redirect to the fake issuer as `email`, and returns both answers. */
export async function signInToAdmin(fakes: SignInFakes, browser: Browser, email: string, path = "/admin") {
  fakes.issuer.user = { sub: `sub-${email}`, email, name: email, email_verified: true };
  const start = await browser.fetch(`${BASE}${path}`);
  const callback = await browser.fetch(fakes.issuer.signIn(start.headers.get("Location")!));
  return { browser, start, callback };
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no csrf token on the page");
  return match[1];
}

/** Posts a form from the admin's own origin (pass `Origin` in `headers` to pretend otherwise). */
export function postForm(
  browser: Browser,
  path: string,
  form: Record<string, string> | [string, string][],
  headers: Record<string, string> = {},
) {
  return browser.fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, ...headers },
    body: new URLSearchParams(form).toString(),
  });
}
