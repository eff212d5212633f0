import { ValidationPipe } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GrpcHttpExceptionFilter } from '@nestmesh/grpc';
import { httpServerTracing } from '@nestmesh/telemetry';

import { InvalidRequestError, ORDER_ERROR_CODES, ORDER_HTTP_STATUSES } from '../order.errors.js';
import { fieldViolations } from '../validation/field-violations.js';
import { VALIDATION_OPTIONS } from '../validation/place-order.dto.js';
import { JsonBodyGuard } from './json-body.guard.js';

/** Largest request body, in bytes (64 KiB: a full order of 100 items is about 6 KiB). */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 65_536;
export const HTTP_BODY_LIMIT_ENV = 'HTTP_BODY_LIMIT_BYTES';

export interface HttpEdgeOptions {
  /** Largest request body in bytes; larger ones get 413. Default HTTP_BODY_LIMIT_BYTES, then 64 KiB. */
  bodyLimitBytes?: number;
}

function bodyLimit(given: number | undefined): number {
  const raw = given ?? process.env[HTTP_BODY_LIMIT_ENV];
  const limit = raw === undefined || raw === '' ? DEFAULT_HTTP_BODY_LIMIT_BYTES : Number(raw);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(
      `order: the HTTP body limit must be a positive whole number of bytes, got "${String(raw)}"`,
    );
  }
  return limit;
}

/**
 * The HTTP edge, in one call before `listen()`: a SERVER span per request (httpServerTracing
 * from @nestmesh/telemetry, continuing the caller's trace), JSON bodies up to the limit (413 beyond it),
 * 415 for other content types, strict validation (unknown properties refused) whose field
 * errors come back as `errors`, and every error as an RFC 9457 problem (GrpcHttpExceptionFilter).
 * Express only: another platform is refused here rather than half-configured.
 */
export function configureHttp(app: INestApplication, options: HttpEdgeOptions = {}): INestApplication {
  const platform = app.getHttpAdapter().getType();
  if (platform !== 'express') {
    throw new Error(`order: configureHttp supports @nestjs/platform-express, not "${platform}"`);
  }
  const limit = bodyLimit(options.bodyLimitBytes);
  const express = app as NestExpressApplication;
  // First, so that the span covers body parsing and every error answer too.
  express.use(httpServerTracing());
  // Registered before init, these replace Nest's default parsers (same names), so the one limit
  // holds for every body; urlencoded is parsed only for the 415 guard to refuse it cleanly.
  express.useBodyParser('json', { limit, type: ['application/json', 'application/*+json'] });
  express.useBodyParser('urlencoded', { limit, extended: false });
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
