// Port checks for the demo stack: a clear message when a fixed port is taken, or a free one.

import { createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** Resolves when `port` can be bound on loopback; otherwise says who wanted it and what to do. */
function ensurePortFree(port: number, role: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      reject(
        new PortInUseError(
          `Port ${port} (${role}) is already in use on ${LOOPBACK}. Stop what runs there (another "npm run demo" or "wrangler dev"?) ` +
            `or choose another port, e.g. npm run demo -- ${flag} ${port + 10}, or ${flag} 0 for any free port.`,
        ),
      );
    });
    server.listen(port, LOOPBACK, () => server.close(() => resolve()));
  });
}

/**
 * Checks a fixed port before anything starts; 0 stays 0, for a server that binds port 0 itself and
 * reports the port it got (only a child process such as wrangler dev needs a port chosen for it).
 */
export async function claimPort(port: number, role: string, flag: string): Promise<number> {
  if (port !== 0) await ensurePortFree(port, role, flag);
  return port;
}

/** Whether a child process failed to start because its port was taken meanwhile (by the time it bound it). */
export function isPortCollision(error: unknown): boolean {
  return /EADDRINUSE|address already in use/i.test(String((error as Error)?.message ?? error));
}
