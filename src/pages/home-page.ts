import { readPublicUrl, whatIsConfigured, type Configured } from "../config";
import { SERVER_INFO } from "../shared/server-identity";
import { escapeHtml, htmlDocument, htmlResponse } from "./html";
import { ENDPOINTS, type Service } from "../shared/endpoints";

/**
 * GET /: what this server is and how to connect to it, as a page without scripts or, for
 * `Accept: application/json`, the same facts as JSON. It says which endpoints this deployment has
 * configured and never shows a secret or the allowed domains (the connector reveals neither).
 */

interface EndpointInfo {
  path: string;
  url: string;
  configured: boolean;
  who: string;
  authentication: string;
}

interface ClientLine {
  client: string;
  endpoint: string;
  line: string;
}

interface HomeFacts {
  name: string;
  version: string;
  description: string;
  endpoints: EndpointInfo[];
  clients: ClientLine[];
}

const DESCRIPTION =
  "A remote MCP server for Plausible Analytics: ask an AI client questions about your site's " +
  "traffic and get answers from your Plausible data. All tools are read-only.";

/** The bearer-key endpoints need no setting; the connectors and /admin are on when the configuration says so. */
function isConfigured(service: Service, configured: Configured): boolean {
  return service === "internal" || service === "connect" || service === "admin" ? configured[service] : true;
}

function homeFacts(request: Request, env: Env): HomeFacts {
  const origin = (readPublicUrl(env) ?? new URL(request.url)).origin;
  const configured = whatIsConfigured(env);
  const endpoints: EndpointInfo[] = ENDPOINTS.flatMap((endpoint) =>
    endpoint.listed
      ? [
          {
            path: endpoint.path,
            url: `${origin}${endpoint.path}`,
            configured: isConfigured(endpoint.serves, configured),
            ...endpoint.listed,
          },
        ]
      : [],
  );
  const key = "<your Plausible API key>";
  const clients: ClientLine[] = [
    {
      client: "Claude Code",
      endpoint: "/mcp",
      line: `claude mcp add --transport http plausible ${origin}/mcp --header "Authorization: Bearer ${key}"`,
    },
    {
      client: "Claude Code",
      endpoint: "/connect",
      line: `claude mcp add --transport http plausible ${origin}/connect   # then /mcp in Claude Code to connect`,
    },
    {
      client: "Claude.ai, Claude Desktop, Cowork",
      endpoint: "/connect",
      line: `Settings > Connectors > Add custom connector > ${origin}/connect`,
    },
    {
      client: "Cursor (~/.cursor/mcp.json)",
      endpoint: "/mcp",
      line: JSON.stringify({ mcpServers: { plausible: { url: `${origin}/mcp`, headers: { Authorization: `Bearer ${key}` } } } }),
    },
    {
      client: "MCP Inspector",
      endpoint: "/mcp",
      line:
        `npx @modelcontextprotocol/inspector --cli ${origin}/mcp --transport http --header ` +
        `"Authorization: Bearer ${key}" --method tools/list`,
    },
    {
      client: "Claude.ai, Claude Desktop, Cowork (team)",
      endpoint: "/internal",
      line: `Settings > Connectors > Add custom connector > ${origin}/internal`,
    },
    {
      client: "Claude Code (team)",
      endpoint: "/internal",
      line: `claude mcp add --transport http plausible-team ${origin}/internal   # then /mcp in Claude Code to sign in`,
    },
  ];
  // Only lines for endpoints this deployment serves.
  const served = new Set(endpoints.filter((endpoint) => endpoint.configured).map((endpoint) => endpoint.path));
  return {
    name: SERVER_INFO.name,
    version: SERVER_INFO.version,
    description: DESCRIPTION,
    endpoints,
    clients: clients.filter((client) => served.has(client.endpoint)),
  };
}

/** GET / (and HEAD): the page, or JSON when the client asks for it. */
export function serveHomePage(request: Request, env: Env): Response {
  if (request.method !== "GET" && request.method !== "HEAD")
    return new Response("Method not allowed", { status: 405, headers: { Allow: "GET, HEAD" } });
  const facts = homeFacts(request, env);
  if (wantsJson(request)) return Response.json(facts);
  return htmlResponse(renderHomePage(facts), 200);
}

function wantsJson(request: Request): boolean {
  const accept = request.headers.get("Accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

const HOME_STYLE =
  "body{max-width:60rem;margin:2rem auto}table{border-collapse:collapse}" +
  "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}" +
  "pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}";

function renderHomePage(facts: HomeFacts): string {
  const rows = facts.endpoints
    .map(
      (endpoint) =>
        `<tr><td><code>${escapeHtml(endpoint.url)}</code></td>` +
        `<td>${endpoint.configured ? "yes" : "not on this deployment"}</td><td>${escapeHtml(endpoint.who)}` +
        `</td><td>${escapeHtml(endpoint.authentication)}</td></tr>`,
    )
    .join("\n");
  const lines = facts.clients
    .map(
      (client) =>
        `<h3>${escapeHtml(client.client)} ` +
        `<small>(${escapeHtml(client.endpoint)})</small></h3>\n<pre><code>${escapeHtml(client.line)}</code></pre>`,
    )
    .join("\n");
  return htmlDocument(
    "Plausible MCP",
    `<h1>Plausible MCP <small>${escapeHtml(facts.version)}</small></h1>
<p>${escapeHtml(facts.description)}</p>
<p>Create a Plausible Stats API key in Plausible under <em>Account settings &gt; API keys</em>.</p>
<h2>Endpoints</h2>
<table>
<tr><th>URL</th><th>Configured</th><th>For</th><th>How to authenticate</th></tr>
${rows}
</table>
<h2>Connect</h2>
${lines}`,
    HOME_STYLE,
  );
}
