// A local webhook receiver for digests and alerts: it records and prints every POST it gets. The
// worker may post to it only because the demo and end-to-end stacks set DIGEST_ALLOW_INSECURE_WEBHOOKS.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "./ports.ts";

export interface SinkDelivery {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

export interface WebhookSink {
  url: string;
  deliveries: SinkDelivery[];
  /** Answers POSTs to `path` (every path when absent) with this status from now on (default 200); e.g. 500 to make it fail. */
  answerWith(status: number, path?: string): void;
  close(): Promise<void>;
}

export async function startWebhookSink(
  options: { port?: number; onDelivery?: (delivery: SinkDelivery) => void } = {},
): Promise<WebhookSink> {
  const deliveries: SinkDelivery[] = [];
  let status = 200;
  const statusByPath = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        body = { unparsed: Buffer.concat(chunks).toString("utf8") };
      }
      const delivery = { path: request.url ?? "/", body, at: Date.now() };
      deliveries.push(delivery);
      options.onDelivery?.(delivery);
      const answer = statusByPath.get(delivery.path) ?? status;
      response.writeHead(answer, { "content-type": "text/plain" }).end(answer < 300 ? "ok" : "failing on purpose");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    deliveries,
    answerWith(next, path) {
      if (path === undefined) status = next;
      else statusByPath.set(path, next);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
