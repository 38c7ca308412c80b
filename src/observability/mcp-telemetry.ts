import { wrapMcpServerWithSentry } from "@sentry/cloudflare";
import type { Endpoint } from "./tool-call";

/**
 * Sentry spans for an MCP server's requests (either SDK generation). Tool
 * arguments and results are recorded on /internal only, where calls are
 * attributed; the bearer-key endpoints stay anonymous.
 */
export function instrumentMcpServer<S extends object>(server: S, endpoint: Endpoint): S {
  const attributed = endpoint === "internal";
  return wrapMcpServerWithSentry(server, { recordInputs: attributed, recordOutputs: attributed });
}
