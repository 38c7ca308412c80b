// The layer picture of docs/architecture.md, checked by `npm run lint:deps` (part of `npm test`):
//
//   src/worker.ts → (mcp | pages | auth | admin) → (agent | tools | observability …) → plausible → (config | shared)
//
// MAY_IMPORT lists, for each folder under src/, the other folders its files may import. Anything else is an error,
// and so is a folder that is not in the table, a cycle between folders and a cycle between files.

const SURFACES_BELOW = ["agent", "tools", "observability", "http", "prompts", "resources", "ui"];
const FOUNDATION = ["plausible", "config", "shared"];

const MAY_IMPORT = {
  // Surfaces: what a request reaches after the route table in src/worker.ts.
  mcp: ["auth", ...SURFACES_BELOW, ...FOUNDATION],
  admin: ["auth", "pages", "agent", "tools", "observability", "http", "config", "shared"],
  auth: ["pages", "observability", "http", "config", "shared"],
  pages: ["http", "config", "shared"],
  // The Cron Trigger (scheduled events): digests and alerts, built with the tools in the tool context of src/mcp.
  digest: ["mcp", "auth", ...SURFACES_BELOW, ...FOUNDATION],
  // Capabilities the surfaces use.
  // The agents store what the tools' ports (team memory) describe.
  agent: ["tools", "observability", ...FOUNDATION],
  tools: FOUNDATION,
  prompts: ["tools", ...FOUNDATION],
  resources: ["tools", ...FOUNDATION],
  ui: ["resources", "tools", ...FOUNDATION],
  observability: FOUNDATION,
  http: ["observability", "config", "shared"],
  // The Plausible client and what everything stands on.
  plausible: ["config", "shared"],
  config: ["shared"],
  shared: [],
  types: [],
};

const FOLDERS = Object.keys(MAY_IMPORT);

const layerRules = FOLDERS.map((folder) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only ${MAY_IMPORT[folder].join(", ") || "nothing else in src"} (docs/architecture.md)`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: { path: "^src/", pathNot: `^src/(${[folder, ...MAY_IMPORT[folder]].join("|")})/` },
}));

// Packages that speak MCP or OAuth: the Plausible client and the tools stay usable without any of them.
const MCP_PACKAGES = "node_modules/(@modelcontextprotocol/|agents/|@cloudflare/workers-oauth-provider/)";

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "folder-in-layer-table",
      comment: "every folder under src/ has a row in MAY_IMPORT of .dependency-cruiser.cjs and a place in docs/architecture.md",
      severity: "error",
      from: { path: "^src/", pathNot: [`^src/(${FOLDERS.join("|")})/`, "^src/worker\\.ts$"] },
      to: {},
    },
    {
      name: "nothing-imports-the-worker",
      comment: "src/worker.ts is the top of the picture: nothing imports it",
      severity: "error",
      from: {},
      to: { path: "^src/worker\\.ts$" },
    },
    {
      name: "plausible-knows-no-mcp",
      comment: "src/plausible is a Plausible client and nothing else: no MCP SDK, agents or OAuth provider",
      severity: "error",
      from: { path: "^src/plausible/" },
      to: { path: MCP_PACKAGES },
    },
    {
      name: "tools-know-no-transport",
      comment: "src/tools are pure functions over a data port: no MCP SDK, transport, agents or OAuth provider",
      severity: "error",
      from: { path: "^src/tools/" },
      to: { path: MCP_PACKAGES },
    },
    {
      name: "auth-through-its-entrances",
      comment: "other folders import src/auth from auth/index.ts (the sign-in kit), auth/internal or auth/connect",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/auth/" },
      to: { path: "^src/auth/", pathNot: "^src/auth/(internal/|connect/)?index\\.ts$" },
    },
    {
      name: "plausible-through-its-entrance",
      comment: "other folders import the Plausible client from src/plausible/index.ts",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/plausible/" },
      to: { path: "^src/plausible/", pathNot: "^src/plausible/index\\.ts$" },
    },
    {
      name: "config-through-its-entrance",
      comment: "other folders read settings through src/config/index.ts",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/config/" },
      to: { path: "^src/config/", pathNot: "^src/config/index\\.ts$" },
    },
    {
      name: "no-folder-cycle",
      comment: "folders import each other one way only",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-file-cycle",
      comment: "files import each other one way only (type-only imports count too)",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/worker-configuration\\.d\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
