import { vi } from "vitest";

/**
 * Captures what the worker writes with console.log (src/observability/structured-log.ts) until `stop`,
 * and gives back the JSON lines of one event.
 */
export function captureLogLines() {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  return {
    stop: () => spy.mockRestore(),
    events: (event: string) => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === event),
  };
}
