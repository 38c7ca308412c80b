import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { claimPort, isPortCollision, LOOPBACK, PortInUseError } from "../../../dev/demo/ports.ts";

describe("demo stack ports", () => {
  it("leaves 0 as 0, for servers that bind port 0 themselves and report the port they got", async () => {
    expect(await claimPort(0, "Plausible simulator", "--simulator-port")).toBe(0);
  });

  it("refuses a fixed port that is taken, naming the flag to change", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const { port } = server.address() as { port: number };
    try {
      await expect(claimPort(port, "worker", "--port")).rejects.toThrow(PortInUseError);
      await expect(claimPort(port, "worker", "--port")).rejects.toThrow(/--port/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("recognises a child process's port collision, so another port is tried", () => {
    expect(
      isPortCollision(
        new Error("wrangler dev did not start: it exited with code 1\nError: listen EADDRINUSE: address already in use 127.0.0.1:41234"),
      ),
    ).toBe(true);
    expect(isPortCollision(new Error("wrangler dev did not start: http://127.0.0.1:1/ did not answer within 90 s"))).toBe(false);
  });
});
