import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { memoryStoreName } from "../../src/agent/memory-store";
import { BASE, Browser, useSignInFakes } from "../support/harness";
import { csrfOf, postForm, signInToAdmin } from "../support/admin-session";
import { captureLogLines } from "../support/log-lines";

/** /admin/memory: administrators see and change the team's annotations, targets and site context. */

const ADMIN = "keeper@example.com";
const SETTINGS = { ADMIN_EMAILS: ADMIN } as Partial<Record<keyof Env, string>>;
const SITE = `admin-${crypto.randomUUID().slice(0, 8)}.example.com`;

const fakes = useSignInFakes();
afterEach(() => fakes.plausible.restore());

async function signedInAdmin(): Promise<Browser> {
  const { browser, callback } = await signInToAdmin(fakes, new Browser(SETTINGS), ADMIN, "/admin/memory");
  expect(callback.status).toBe(302);
  return browser;
}

const page = async (browser: Browser, path = "/admin/memory") => (await browser.fetch(`${BASE}${path}`)).text();

describe("/admin/memory", () => {
  it("adds and deletes an annotation, sets a target and saves site context, all in the team's memory", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));

    const added = await postForm(admin, "/admin/memory/annotation", {
      csrf,
      site_id: SITE,
      date: "2026-05-12",
      kind: "deploy",
      text: "New <pricing> page",
    });
    expect(added.status).toBe(303);
    expect(added.headers.get("Location")).toBe("/admin/memory?notice=annotation_added");
    expect(
      (await postForm(admin, "/admin/memory/target", { csrf, site_id: SITE, metric: "visitors", period: "2026-05", value: "120,000" }))
        .status,
    ).toBe(303);
    expect((await postForm(admin, "/admin/memory/context", { csrf, site_id: SITE, text: "Signup = a completed trial form." })).status).toBe(
      303,
    );

    const shown = await page(admin, "/admin/memory?notice=annotation_added");
    expect(shown).toContain("<strong>Added</strong> the annotation.");
    expect(shown).toContain(`<h2>${SITE}</h2>`);
    expect(shown).toContain("New &#60;pricing&#62; page");
    expect(shown).toContain("<td>visitors</td><td>2026-05</td><td>120000</td>");
    expect(shown).toContain("Signup = a completed trial form.</textarea>");

    const team = env.MEMORY.getByName(memoryStoreName({ kind: "team" }));
    const [annotation] = await team.listAnnotations(SITE, "2026-05-01", "2026-05-31");
    expect(annotation).toMatchObject({ text: "New <pricing> page", author: ADMIN });
    expect(await team.getTarget(SITE, "visitors", "2026-05")).toMatchObject({ value: 120000 });

    expect((await postForm(admin, "/admin/memory/annotation/delete", { csrf, id: annotation!.id })).status).toBe(303);
    expect(await team.getAnnotation(annotation!.id)).toBeNull();
    expect(
      (await postForm(admin, "/admin/memory/target/delete", { csrf, site_id: SITE, metric: "visitors", period: "2026-05" })).status,
    ).toBe(303);
    expect(await team.getTarget(SITE, "visitors", "2026-05")).toBeNull();
  });

  it("logs every change with the administrator and the site, deletions too", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const log = captureLogLines();

    await postForm(admin, "/admin/memory/annotation", { csrf, site_id: SITE, date: "2026-06-02", kind: "other", text: "Logged" });
    const team = env.MEMORY.getByName(memoryStoreName({ kind: "team" }));
    const [annotation] = await team.listAnnotations(SITE, "2026-06-01", "2026-06-30");
    await postForm(admin, "/admin/memory/annotation/delete", { csrf, id: annotation!.id });
    await postForm(admin, "/admin/memory/target", { csrf, site_id: SITE, metric: "visitors", period: "2026-06", value: "5" });
    await postForm(admin, "/admin/memory/target/delete", { csrf, site_id: SITE, metric: "visitors", period: "2026-06" });
    await postForm(admin, "/admin/memory/context", { csrf, site_id: SITE, text: "Logged context." });
    log.stop();

    expect(log.events("admin_action")).toEqual(
      ["annotation-add", "annotation-delete", "target-set", "target-delete", "context-set"].map((action) => ({
        event: "admin_action",
        user: ADMIN,
        action: `memory:${action}`,
        site_id: SITE,
      })),
    );
  });

  it("says what to correct when the store refuses a value", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const refused = await postForm(admin, "/admin/memory/target", { csrf, site_id: SITE, metric: "visitors", period: "May", value: "10" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("period: &#34;May&#34;: give a month &#34;2026-05&#34; or a quarter &#34;2026-Q2&#34;");
  });

  it("refuses a change without the session's CSRF token, from another origin, or signed out", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const note = { site_id: SITE, date: "2026-05-13", kind: "other", text: "Forged" };
    expect((await postForm(admin, "/admin/memory/annotation", { ...note, csrf: "0".repeat(48) })).status).toBe(403);
    expect((await postForm(admin, "/admin/memory/annotation", { ...note, csrf }, { Origin: "https://evil.test" })).status).toBe(403);
    expect((await postForm(new Browser(SETTINGS), "/admin/memory/annotation", { ...note, csrf })).status).toBe(403);
    const team = env.MEMORY.getByName(memoryStoreName({ kind: "team" }));
    expect(await team.listAnnotations(SITE, "2026-05-13", "2026-05-13")).toEqual([]);
  });
});
