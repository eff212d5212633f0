import Consul from 'consul';
import { EventEmitter } from 'node:events';

import { RegistryUnavailableError } from '../../discovery.errors.js';
import { DEFAULT_CONSUL_HOST } from './consul.constants.js';
import type { ConsulRegistryOptions } from './consul.options.js';

export type ConsulClient = InstanceType<typeof Consul>;

/** What the client answers with `includeResponse`: the response (its headers) and the body. */
export type ConsulAnswer = [{ headers: Record<string, string> }, unknown];

/** A `consul` client for the agent, token, datacenter and namespace of the options. */
export function createConsulClient(options: ConsulRegistryOptions): ConsulClient {
  const [host, port] = (options.host ?? DEFAULT_CONSUL_HOST).split(':');
  const consul = new Consul({
    host,
    port: Number(port ?? 8500),
    secure: options.secure ?? false,
    defaults: {
      ...(options.token ? { token: options.token } : {}),
      ...(options.datacenter ? { dc: options.datacenter } : {}),
    },
  });
  if (options.namespace) {
    // The client has no namespace option: add `ns` to every request's query (Enterprise).
    const namespace = options.namespace;
    const client = consul as unknown as {
      _ext(
        event: string,
        hook: (request: { opts: { query?: Record<string, string> } }, next: () => void) => void,
      ): void;
    };
    client._ext('onCreate', (request, next) => {
      request.opts.query = { ...request.opts.query, ns: namespace };
      next();
    });
  }
  return consul;
}

/** The requests of one registry in flight, each with a cancel context, so close() can cancel them. */
export class ConsulRequests {
  private readonly inFlight = new Set<EventEmitter>();

  /**
   * Runs one request with a cancel context (and the response included); the signal cancels
   * it. Any failure, a cancellation included, is a RegistryUnavailableError.
   */
  async call(
    operation: string,
    run: (ctx: EventEmitter) => Promise<unknown>,
    signal?: AbortSignal,
  ): Promise<ConsulAnswer> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const onAbort = () => ctx.emit('cancel');
    signal?.addEventListener('abort', onAbort, { once: true });
    this.inFlight.add(ctx);
    try {
      return (await run(ctx)) as ConsulAnswer;
    } catch (error) {
      throw new RegistryUnavailableError('consul', operation, error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(ctx);
    }
  }

  /** As `call`, but aborting rejects with the signal's reason (a caller's read, not an outage). */
  async read(
    operation: string,
    run: (ctx: EventEmitter) => Promise<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<ConsulAnswer> {
    try {
      return await this.call(operation, run, signal);
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    }
  }

  cancelAll(): void {
    for (const ctx of this.inFlight) ctx.emit('cancel');
  }
}
