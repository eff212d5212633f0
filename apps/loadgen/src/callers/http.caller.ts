import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

import type { Call } from '../request-runner.js';
import type { Outcome } from '../stats/request-stats.js';

/**
 * The order edge over HTTP/1.1 with keep-alive. node:http (not fetch) so that the stock
 * OpenTelemetry http instrumentation, when enabled, records a CLIENT span for every request.
 */
export class OrderHttpClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  /** `maxSockets` bounds the connections; give it the requests that may run at once. */
  constructor(
    private readonly baseUrl: string,
    maxSockets: number,
  ) {
    this.transport = baseUrl.startsWith('https:') ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets });
  }

  /**
   * POST /orders, one unit of `sku`, with a fresh Idempotency-Key: should the request be retried
   * (by a proxy, or after a lost answer), the order is placed once. 201 is ok.
   */
  readonly placeOrder: Call = (sku, signal) => {
    const body = JSON.stringify({ items: [{ sku, quantity: 1 }] });
    return this.send('POST', '/orders', 201, signal, body, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'idempotency-key': randomUUID(),
    });
  };

  /** GET /stock/<sku>; 200 is ok. */
  readonly readStock: Call = (sku, signal) =>
    this.send('GET', `/stock/${encodeURIComponent(sku)}`, 200, signal, undefined, {});

  /** Closes the idle keep-alive connections and those in use. */
  close(): void {
    this.agent.destroy();
  }

  private send(
    method: string,
    path: string,
    okStatus: number,
    signal: AbortSignal,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Outcome> {
    return new Promise((resolve) => {
      const request = this.transport.request(
        `${this.baseUrl}${path}`,
        { method, headers: { accept: 'application/json', ...headers }, agent: this.agent, signal },
        (response) => {
          // The answer counts once it is read to the end, as a client that uses it would wait.
          response.resume();
          response.once('end', () =>
            resolve(
              response.statusCode === okStatus
                ? { result: 'ok' }
                : { result: 'failed', reason: String(response.statusCode) },
            ),
          );
          response.once('error', (error) => resolve(failure(error)));
        },
      );
      request.once('error', (error) => resolve(failure(error)));
      request.end(body);
    });
  }
}

/** A transport error by its code (ECONNREFUSED, ECONNRESET…); an abort is the runner's timeout. */
function failure(error: NodeJS.ErrnoException): Outcome {
  return { result: 'failed', reason: error.code ?? error.name };
}
