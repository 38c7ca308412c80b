/** The server's name and version: what MCP clients are told, and the default Sentry release. */
export const SERVER_INFO = { name: "plausible-mcp", version: "0.1.0" } as const;
