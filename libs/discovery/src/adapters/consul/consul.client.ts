import { BackendAuthError, redactUrl } from '@nestmesh/common';
import Consul from 'consul';
import { EventEmitter } from 'node:events';
import { Agent as HttpsAgent } from 'node:https';

import { InvalidDiscoveryOptionsError, RegistryUnavailableError } from '../../discovery.errors.js';
import { DEFAULT_CONSUL_HOST } from './consul.constants.js';
import type { ConsulRegistryOptions } from './consul.options.js';

export type ConsulClient = InstanceType<typeof Consul>;

/** What the client answers with `includeResponse`: the response (its headers) and the body. */
export type ConsulAnswer = [{ headers: Record<string, string> }, unknown];

/**
 * What Consul answers (403, text) when it refuses the token: "ACL not found" (an unknown token),
 * "Permission denied…" (a token, or the anonymous one, without the right); the client turns a
 * longer text into "forbidden".
 */
const ACL_REFUSAL = /ACL not found|Permission denied|forbidden/i;

/**
 * What the community edition answers (400) to any `ns`: `Bad request: Invalid query parameter:
 * "ns" - Namespaces are a Consul Enterprise feature` (its agent/http_ce.go).
 */
const CE_NAMESPACE_REFUSAL = /Namespaces are a Consul Enterprise feature/;
/** What Consul answers (500) to pass/warn/fail on a check it does not have (or has no TTL). */
const MISSING_TTL_CHECK = /does not have associated TTL/;
/** What Consul answers (404) for a service id the agent does not have (maintenance, deregister). */
const UNKNOWN_SERVICE = /^Unknown service ID /;

/** The URL of the options as errors show it (redacted by them). */
export function consulName(options: ConsulRegistryOptions): string {
  return options.url ?? `consul${options.secure ? 's' : ''}://${options.host ?? DEFAULT_CONSUL_HOST}`;
}

/**
 * A `consul` client for the agent, token, datacenter and namespace of the options; with
 * `secure`, HTTPS through an agent that verifies Consul against `tls.ca` (the system's CAs
 * without it) and presents `tls.cert`/`tls.key` when given.
 */
export function createConsulClient(options: ConsulRegistryOptions): ConsulClient {
  const [host, port] = (options.host ?? DEFAULT_CONSUL_HOST).split(':');
  const { ca, cert, key, servername } = options.tls ?? {};
  const consul = new Consul({
    host,
    port: Number(port ?? 8500),
    secure: options.secure ?? false,
    ...(options.secure ? { agent: new HttpsAgent({ keepAlive: true, ca, cert, key, servername }) } : {}),
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

  /** `name`: the URL as errors show it (redacted by them). */
  constructor(private readonly name: string) {}

  /**
   * Runs one request with a cancel context (and the response included); the signal cancels
   * it. A refused token (403) is BackendAuthError naming consul; an `ns` refused by a community
   * edition agent is InvalidDiscoveryOptionsError; any other failure, a cancellation included,
   * is a RegistryUnavailableError.
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
      throw (
        consulAuthFailure(this.name, error) ??
        consulNamespaceRefusal(this.name, error) ??
        new RegistryUnavailableError('consul', operation, error)
      );
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

/** A BackendAuthError when `error` is Consul refusing the token (HTTP 403), else undefined. */
export function consulAuthFailure(name: string, error: unknown): BackendAuthError | undefined {
  const { statusCode, message } = (error ?? {}) as { statusCode?: number; message?: string };
  if (statusCode !== 403 || !ACL_REFUSAL.test(message ?? '')) return undefined;
  return new BackendAuthError('consul', name, message ?? 'forbidden');
}

/** The text body of Consul's error answer (the client keeps only a short one as the message). */
function answerText(error: unknown): string {
  const { message, response } = (error ?? {}) as { message?: string; response?: { body?: unknown } };
  return typeof response?.body === 'string' ? response.body : (message ?? '');
}

/**
 * An InvalidDiscoveryOptionsError when `error` is a community edition agent refusing the
 * namespace (400): `ns` needs Consul Enterprise, retrying cannot help. Else undefined.
 */
export function consulNamespaceRefusal(
  name: string,
  error: unknown,
): InvalidDiscoveryOptionsError | undefined {
  const { statusCode } = (error ?? {}) as { statusCode?: number };
  if (statusCode !== 400 || !CE_NAMESPACE_REFUSAL.test(answerText(error))) return undefined;
  return new InvalidDiscoveryOptionsError(
    redactUrl(
      `consul ${name}: a namespace (ns) needs Consul Enterprise; this agent is the community edition, which refuses it (${answerText(error)}). Remove ?ns= or point at an Enterprise agent.`,
    ),
  );
}

/** Whether `error` (as ConsulRequests throws it) is Consul's 404 for an unknown service id. */
export function isUnknownService(error: unknown): boolean {
  const cause = error instanceof RegistryUnavailableError ? error.cause : error;
  const { statusCode } = (cause ?? {}) as { statusCode?: number };
  return statusCode === 404 && UNKNOWN_SERVICE.test(answerText(cause));
}

/** Whether `error` (as ConsulRequests throws it) is Consul's 500 for a TTL check it does not have. */
export function isMissingTtlCheck(error: unknown): boolean {
  const cause = error instanceof RegistryUnavailableError ? error.cause : error;
  const { statusCode } = (cause ?? {}) as { statusCode?: number };
  return statusCode === 500 && MISSING_TTL_CHECK.test(answerText(cause));
}
