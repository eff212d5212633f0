import { ValidationPipe } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DEFAULT_HTTP_DEADLINE_MS, GrpcHttpExceptionFilter, httpDeadlineBudget } from '@nestmesh/grpc';
import { httpServerTracing } from '@nestmesh/telemetry';

import {
  InvalidRequestError,
  ORDER_ERROR_CODES,
  ORDER_HTTP_STATUSES,
  OrderConfigError,
} from '../order.errors.js';
import { fieldViolations } from '../validation/field-violations.js';
import { VALIDATION_OPTIONS } from '../validation/place-order.dto.js';
import { applyEdgeSecurity, resolveCorsOrigins } from './edge-security.js';
import { JsonBodyGuard } from './json-body.guard.js';
import { resolveTrustedProxies, type TrustedProxies } from './trusted-proxies.js';

/** Largest request body, in bytes (64 KiB: a full order of 100 items is about 6 KiB). */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 65_536;
export const HTTP_BODY_LIMIT_ENV = 'HTTP_BODY_LIMIT_BYTES';
export const HTTP_DEADLINE_ENV = 'HTTP_DEADLINE_MS';

export interface HttpEdgeOptions {
  /** Largest request body in bytes; larger ones get 413. Default HTTP_BODY_LIMIT_BYTES, then 64 KiB. */
  bodyLimitBytes?: number;
  /**
   * Each request's deadline budget in ms: the gRPC calls made for it get what is left of it.
   * Default HTTP_DEADLINE_MS, then 10 000. A client's `Request-Timeout-Ms` header can shorten it.
   */
  deadlineMs?: number;
  /**
   * Origins (exact, `https://shop.example.com`) allowed to call the API from a browser.
   * Default HTTP_CORS_ORIGINS (comma-separated), then none: CORS off.
   */
  corsOrigins?: readonly string[];
  /**
   * The proxies in front of the app whose `X-Forwarded-For` names the client (for the rate
   * limit and logs): hops, or addresses/CIDR ranges/`loopback`. Default HTTP_TRUST_PROXY, then
   * none: the peer is the client, and a client cannot choose its address with a header.
   */
  trustProxy?: TrustedProxies;
}

/** A positive whole number from `given`, else the environment, else `fallback`. */
function positiveWhole(given: number | undefined, env: string, fallback: number, what: string): number {
  const raw = given ?? process.env[env];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new OrderConfigError(`${what} must be a positive whole number, got "${String(raw)}"`);
  }
  return value;
}

/**
 * The HTTP edge, in one call before `listen()`: a SERVER span per request (httpServerTracing
 * from @nestmesh/telemetry, continuing the caller's trace), JSON bodies up to the limit (413 beyond it),
 * security headers (helmet) without `x-powered-by`, CORS for the configured origins only,
 * client addresses from X-Forwarded-For of trusted proxies only,
 * a deadline budget per request (its gRPC calls get what is left of it; 504 once it is spent),
 * 415 for other content types, strict validation (unknown properties refused) whose field
 * errors come back as `errors`, and every error as an RFC 9457 problem (GrpcHttpExceptionFilter).
 * Express only: another platform is refused here rather than half-configured.
 */
export function configureHttp(app: INestApplication, options: HttpEdgeOptions = {}): INestApplication {
  const platform = app.getHttpAdapter().getType();
  if (platform !== 'express') {
    throw new Error(`order: configureHttp supports @nestjs/platform-express, not "${platform}"`);
  }
  const limit = positiveWhole(
    options.bodyLimitBytes,
    HTTP_BODY_LIMIT_ENV,
    DEFAULT_HTTP_BODY_LIMIT_BYTES,
    'the HTTP body limit (bytes)',
  );
  const deadlineMs = positiveWhole(
    options.deadlineMs,
    HTTP_DEADLINE_ENV,
    DEFAULT_HTTP_DEADLINE_MS,
    'the HTTP deadline (ms)',
  );
  const corsOrigins = resolveCorsOrigins(options.corsOrigins);
  const trustedProxies = resolveTrustedProxies(options.trustProxy);
  const express = app as NestExpressApplication;
  express.set('trust proxy', typeof trustedProxies === 'object' ? [...trustedProxies] : trustedProxies);
  // First, so that the span covers body parsing and every error answer too.
  express.use(httpServerTracing());
  // Before the routes and the dashboard (mounted at init), so that every answer has the headers.
  applyEdgeSecurity(express, corsOrigins);
  // Registered before init, these replace Nest's default parsers (same names), so the one limit
  // holds for every body; urlencoded is parsed only for the 415 guard to refuse it cleanly.
  express.useBodyParser('json', { limit, type: ['application/json', 'application/*+json'] });
  express.useBodyParser('urlencoded', { limit, extended: false });
  // After the parsers, which call on from the request stream's events, outside the budget's context.
  express.use(httpDeadlineBudget({ deadlineMs }));
  app.useGlobalGuards(new JsonBodyGuard());
  app.useGlobalPipes(
    new ValidationPipe({
      ...VALIDATION_OPTIONS,
      transform: true,
      exceptionFactory: (errors) => new InvalidRequestError(fieldViolations(errors)),
    }),
  );
  app.useGlobalFilters(
    new GrpcHttpExceptionFilter({ errorCodes: ORDER_ERROR_CODES, httpStatuses: ORDER_HTTP_STATUSES }),
  );
  return app;
}
