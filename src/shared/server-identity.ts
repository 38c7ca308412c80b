import { SERVER_INSTRUCTIONS } from "../tools";

export const SERVER_INFO = { name: "plausible-mcp", version: "0.1.0" } as const;
export const SERVER_OPTIONS = { instructions: SERVER_INSTRUCTIONS } as const;
