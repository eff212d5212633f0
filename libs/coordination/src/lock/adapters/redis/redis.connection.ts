import { BackendAuthError, BackendUrl, type InvalidUrl } from '@nestmesh/common';
import { Redis, type RedisOptions } from 'ioredis';

import { clusterErrorText, createRedisCluster } from './redis-cluster.connection.js';
import { isRedisClusterUrl } from './redis-cluster.options.js';
import { isCluster, type RedisClient } from './redis.client.js';
import { redisOptionsOf } from './redis.options.js';

/**
 * Replies of a Redis that refused the credentials (WRONGPASS, NOAUTH; `invalid password` before
 * Redis 6); behind Sentinel ioredis reports a Sentinel's refusal as `… Last error: NOAUTH …`.
 */
const AUTH_REPLY = /(?:^|Last error: )(?:WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i;

/** ioredis' own backoff between reconnections, in ms, kept for every other failure. */
const defaultRetry = (attempt: number): number => Math.min(attempt * 50, 2000);

/** The credentials failure of each client made by {@link createRedisClient}, once Redis refused them. */
const authFailures = new WeakMap<RedisClient, BackendAuthError>();

/**
 * The one way NestMesh connects to Redis (locks, Redlock, elections, inspectors, the sample
 * apps' stores): options from {@link redisOptionsOf}, then `options` on top; for a
 * `redis+cluster://` URL ioredis' Cluster client (see createRedisCluster). When Redis refuses
 * the credentials the client stops reconnecting (a wrong password does not get better by
 * retrying) and {@link redisAuthFailure} holds the BackendAuthError naming redis and the
 * redacted URL: callers raise it instead of their "unavailable" error.
 */
export function createRedisClient(
  url: string | BackendUrl,
  options: RedisOptions = {},
  invalid?: InvalidUrl,
): RedisClient {
  const parsed = typeof url === 'string' ? BackendUrl.parse(url, invalid) : url;
  const retry = options.retryStrategy ?? defaultRetry;
  const retryUnlessRefused = (attempt: number): number | null =>
    authFailures.has(client) ? null : (retry(attempt) ?? null);
  const client: RedisClient = isRedisClusterUrl(parsed)
    ? createRedisCluster(parsed, options, retryUnlessRefused)
    : new Redis({ ...redisOptionsOf(parsed), ...options, retryStrategy: retryUnlessRefused });
  const noteRefusal = (error: Error): void => {
    const text = isCluster(client) ? clusterErrorText(error) : error.message;
    if (!authFailures.has(client) && AUTH_REPLY.test(text))
      authFailures.set(client, new BackendAuthError('redis', parsed.toString(), text));
  };
  client.on('error', noteRefusal);
  // A cluster reports each node's failure apart (a refused AUTH among them).
  if (isCluster(client)) client.on('node error', noteRefusal);
  return client;
}

/** The BackendAuthError of a client whose credentials Redis refused, else undefined. */
export function redisAuthFailure(client: RedisClient): BackendAuthError | undefined {
  return authFailures.get(client);
}

/**
 * How long a startup check waits for Redis' first answer, in ms: past it the check passes
 * (Redis slow or away is not a configuration error; commands report it later).
 */
export const CREDENTIALS_CHECK_MS = 5_000;

/**
 * Resolves once the client is ready, once a connection attempt fails for another reason than
 * the credentials (Redis away: ioredis goes on reconnecting, commands fail until it is back), or
 * after `timeoutMs`; rejects with BackendAuthError when Redis refuses the credentials. For
 * startup: a wrong password stops the app with a typed error instead of failing every request
 * later. Its timer and listeners are cleared whichever comes first.
 */
export function redisCredentialsChecked(
  client: RedisClient,
  timeoutMs = CREDENTIALS_CHECK_MS,
): Promise<void> {
  const failure = authFailures.get(client);
  if (failure) return Promise.reject(failure);
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      client.off('ready', settle).off('error', settle).off('end', settle);
      const refused = authFailures.get(client);
      if (refused) reject(refused);
      else resolve();
    };
    const timer = setTimeout(settle, timeoutMs);
    // Registered after createRedisClient's listener, so a refusal is recorded before this runs.
    client.on('ready', settle).on('error', settle).on('end', settle);
    // A lazy client has not tried yet: try now (its failure arrives as an 'error' event).
    if (client.status === 'wait') void client.connect().catch(() => undefined);
  });
}
