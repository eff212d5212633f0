import type { ExecutionContext, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { DynamicModule } from '@nestjs/common';

import { OrderConfigError } from '../order.errors.js';

/** At most `limit` requests per client address in each window of `windowMs` ms. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export const HTTP_RATE_LIMIT_ENV = 'HTTP_RATE_LIMIT';

/**
 * 100 requests per second per client address: far above what one person or a well-behaved
 * integration sends, low enough that one client looping on the API cannot take the instance.
 * Behind a proxy every client shares the proxy's address: raise it or turn it off there.
 */
export const DEFAULT_HTTP_RATE_LIMIT: RateLimit = { limit: 100, windowMs: 1000 };

/**
 * Never limited: probes (an orchestrator that gets a 429 from /healthz restarts a healthy
 * process) and the telemetry the mesh's own tools scrape (Prometheus, the dashboard).
 */
export const RATE_LIMIT_EXEMPT_PATHS: readonly string[] = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/debug/traces',
];

const WINDOW_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const RATE_LIMIT_FORMAT = /^(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)$/;

/**
 * `<requests>/<window>` (`100/1s`, `1000/1m`, `20/500ms`) → a RateLimit; `false` or `0` → off.
 * Anything else is an OrderConfigError naming `source`.
 */
export function parseRateLimit(text: string, source = HTTP_RATE_LIMIT_ENV): RateLimit | false {
  const trimmed = text.trim();
  if (trimmed === 'false' || trimmed === '0') return false;
  const match = RATE_LIMIT_FORMAT.exec(trimmed);
  const limit = Number(match?.[1]);
  const windowMs = Number(match?.[2]) * WINDOW_UNITS_MS[match?.[3] ?? 'ms'];
  if (
    !match ||
    !Number.isSafeInteger(limit) ||
    limit < 1 ||
    !Number.isSafeInteger(windowMs) ||
    windowMs < 1
  ) {
    throw new OrderConfigError(
      `${source} must be <requests>/<window> (e.g. 100/1s, 1000/1m, 20/500ms) or false/0 to turn it off, got "${text}"`,
    );
  }
  return { limit, windowMs };
}

/** The option when given (false = off), else HTTP_RATE_LIMIT, else the default. */
export function resolveRateLimit(
  given: RateLimit | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RateLimit | false {
  if (given === false) return false;
  if (given !== undefined) {
    return parseRateLimit(`${given.limit}/${given.windowMs}ms`, 'the rateLimit option');
  }
  const raw = env[HTTP_RATE_LIMIT_ENV];
  return raw === undefined || raw === '' ? DEFAULT_HTTP_RATE_LIMIT : parseRateLimit(raw);
}

function isExempt(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return true; // gRPC handlers: the limit is the HTTP edge's
  const { path } = context.switchToHttp().getRequest<{ path: string }>();
  return RATE_LIMIT_EXEMPT_PATHS.some((exempt) => path === exempt || path.startsWith(`${exempt}/`));
}

/**
 * @nestjs/throttler as a global guard of the app's HTTP routes (in memory, per instance and
 * client address). A client over the limit gets 429 with Retry-After (seconds), which the
 * edge's filter answers as an RFC 9457 problem (code TOO_MANY_REQUESTS). Nothing when off.
 */
export function rateLimitImports(rateLimit: RateLimit | false): {
  imports: DynamicModule[];
  providers: Provider[];
} {
  if (rateLimit === false) return { imports: [], providers: [] };
  const options: ThrottlerModuleOptions = {
    throttlers: [{ limit: rateLimit.limit, ttl: rateLimit.windowMs }],
    skipIf: isExempt,
    errorMessage: `too many requests: the limit is ${rateLimit.limit} per ${rateLimit.windowMs} ms from one client; retry after the Retry-After seconds`,
  };
  return {
    imports: [ThrottlerModule.forRoot(options)],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  };
}
