// The demo's team memory: every simulated site gets an annotation on its deploy day and a visitors
// target for the current month, and example.com a site context, in both scopes the demo serves:
// the demo key's own memory (/mcp, /sse, /connect) through the tools, and the team's (/internal)
// through /admin, as the demo user (an administrator). Safe to run on every start: adding the same
// annotation again returns the stored one, and targets and context are replaced.

import { callOk, connectWithKey } from "../clients/mcp-clients.ts";
import type { DemoStack } from "./stack.ts";

const EXAMPLE_CONTEXT = [
  "Signup is a completed trial form, not a click on the button.",
  "/pricing is the page that sells; the blog brings most new visitors. Traffic dips on weekends.",
].join(" ");

export interface SeededMemory {
  /** Per site: the deploy it annotated and the visitors target it set for the current month. */
  sites: { domain: string; deploy: { date: string; text: string }; target: { period: string; value: number } }[];
}

/** A target a little above the pace of the last 28 days, rounded to a number a team would pick. */
async function visitorsTarget(stack: DemoStack, domain: string, daysInMonth: number): Promise<number> {
  const response = await fetch(`${stack.urls.simulator}/api/v2/query`, {
    method: "POST",
    headers: { Authorization: `Bearer ${stack.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ site_id: domain, metrics: ["visitors"], date_range: "28d" }),
  });
  if (!response.ok) throw new Error(`The simulator answered ${response.status} for ${domain}'s last 28 days`);
  const { results } = (await response.json()) as { results: { metrics: number[] }[] };
  const monthly = ((results[0]?.metrics[0] ?? 0) / 28) * daysInMonth * 1.05;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(monthly, 1))) - 1);
  return Math.max(step, Math.round(monthly / step) * step);
}

/**
 * Signs in to /admin as the demo user (the local issuer signs in without a form): the session cookie and the CSRF
 * token of the page at `path`.
 */
export async function adminSession(stack: DemoStack, path = "/memory"): Promise<{ cookie: string; csrf: string }> {
  const cookies = new Map<string, string>();
  const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  let url = `${stack.urls.admin}${path}`;
  for (let step = 0; step < 10; step += 1) {
    const response = await fetch(url, { headers: { Cookie: header() }, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", ...value] = pair.split("=");
      cookies.set(name, value.join("="));
    }
    const location = response.headers.get("Location");
    if (location) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    const page = await response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (response.status !== 200 || !csrf) throw new Error(`/admin answered ${response.status} while signing in the demo user`);
    if (!url.endsWith(`/admin${path}`)) {
      url = `${stack.urls.admin}${path}`;
      continue;
    }
    return { cookie: header(), csrf };
  }
  throw new Error("/admin sign-in did not settle after 10 redirects");
}

export async function seedDemoMemory(stack: DemoStack, now = new Date()): Promise<SeededMemory> {
  const period = now.toISOString().slice(0, 7);
  const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
  const sites = await Promise.all(
    stack.simulator.sites.map(async ({ domain, injected }) => ({
      domain,
      deploy: { date: injected.deploy.date, text: `Deployed the new ${injected.deploy.page} page` },
      target: { period, value: await visitorsTarget(stack, domain, daysInMonth) },
    })),
  );

  const key = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, stack.apiKey);
  try {
    for (const site of sites) {
      await callOk(key, "add_annotation", { site_id: site.domain, date: site.deploy.date, text: site.deploy.text, kind: "deploy" });
      await callOk(key, "set_target", { site_id: site.domain, metric: "visitors", ...site.target });
    }
    await callOk(key, "set_site_context", { site_id: "example.com", text: EXAMPLE_CONTEXT });
  } finally {
    await key.close();
  }

  const { cookie, csrf } = await adminSession(stack);
  const post = async (path: string, form: Record<string, string>) => {
    const response = await fetch(`${stack.urls.admin}/memory/${path}`, {
      method: "POST",
      headers: { Cookie: cookie, Origin: stack.urls.worker, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, ...form }),
      redirect: "manual",
    });
    await response.body?.cancel();
    if (response.status !== 303) throw new Error(`/admin/memory/${path} answered ${response.status}`);
  };
  for (const site of sites) {
    await post("annotation", { site_id: site.domain, date: site.deploy.date, kind: "deploy", text: site.deploy.text });
    await post("target", { site_id: site.domain, metric: "visitors", period, value: String(site.target.value) });
  }
  await post("context", { site_id: "example.com", text: EXAMPLE_CONTEXT });
  return { sites };
}
