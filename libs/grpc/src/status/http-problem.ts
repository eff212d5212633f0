import { HttpException, NotFoundException } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';
import { STATUS_CODES } from 'node:http';

import { RpcError } from '../grpc.errors.js';
import type { FieldViolation } from './status-details.js';
import { httpStatusOf } from './http-status.js';
import { statusOf, type ErrorCodeMap } from './status-mapping.js';

/** An RFC 9457 problem, as the HTTP edge answers every error (`application/problem+json`). */
export interface ProblemDetails {
  /** `about:blank` (the HTTP status says it all), or `typeBase` + the code in kebab case. */
  type: string;
  /** The HTTP status phrase ("Not Found"), as RFC 9457 asks for `about:blank`. */
  title: string;
  status: number;
  /** What went wrong, for a person; never the internals of a 500, never more than 300 characters. */
  detail: string;
  /** `urn:uuid:…` of this occurrence, on unexpected errors: the id the server logged the stack with. */
  instance?: string;
  /** For programs: a gRPC status name (`NOT_FOUND`), a library or app code, or an HTTP one. */
  code: string;
  /** The bad fields of a request that failed validation. */
  errors?: { field: string; detail: string }[];
  /** Members an HttpException adds through `extensions` (a readiness check's `checks`). */
  [extension: string]: unknown;
}

const RESERVED_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'errors']);

export interface HttpProblemOptions {
  /** App error codes → gRPC status, as MeshGrpcModule's `errorCodes`. */
  errorCodes?: ErrorCodeMap;
  /** Codes whose HTTP status is not the gRPC table's (`{ IDEMPOTENCY_KEY_REUSED: 422 }`). */
  httpStatuses?: Readonly<Record<string, number>>;
  /** Base URI of problem types (`https://docs.example.com/problems/`); default about:blank. */
  typeBase?: string;
}

/** What the filter needs from the request. */
export interface ProblemRequest {
  method: string;
  path: string;
  /** Set by Express on a matched route; absent when no route matched. */
  route?: unknown;
}

const MAX_DETAIL_CHARS = 300;

function cut(text: string, max = MAX_DETAIL_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** 'Unsupported Media Type' → UNSUPPORTED_MEDIA_TYPE. */
function phraseCode(status: number): string {
  return (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** body-parser's errors (Nest wraps them in an HttpException whose `cause` is the original). */
function bodyParserProblem(cause: unknown): [number, string, string] | undefined {
  const { type, limit } = (cause ?? {}) as { type?: unknown; limit?: unknown };
  switch (type) {
    case 'entity.too.large':
      return [
        413,
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than the limit of ${Number(limit)} bytes`,
      ];
    case 'entity.parse.failed':
      return [400, 'MALFORMED_JSON', 'the request body is not a JSON object or array'];
    case 'charset.unsupported':
      return [415, 'UNSUPPORTED_MEDIA_TYPE', 'the charset of the request body is not supported; send UTF-8'];
    case 'encoding.unsupported':
      return [415, 'UNSUPPORTED_MEDIA_TYPE', 'the content encoding of the request body is not supported'];
    default:
      return undefined;
  }
}

function violationsOf(source: unknown): ProblemDetails['errors'] {
  const violations = (source as { violations?: unknown } | null)?.violations;
  if (!Array.isArray(violations)) return undefined;
  return (violations as FieldViolation[]).map(({ field, description }) => ({
    field: cut(String(field), 120),
    detail: cut(String(description)),
  }));
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : exception.message;
}

interface Draft {
  status: number;
  code: string;
  detail: string;
  errors?: ProblemDetails['errors'];
  extensions?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** `extensions` of an HttpException's response object, without the members RFC 9457 defines. */
function extensionsOf(response: unknown): Record<string, unknown> | undefined {
  const extensions = (response as { extensions?: unknown } | null)?.extensions;
  if (extensions === null || typeof extensions !== 'object') return undefined;
  return Object.fromEntries(Object.entries(extensions).filter(([name]) => !RESERVED_MEMBERS.has(name)));
}

function fromHttpException(exception: HttpException, request: ProblemRequest): Draft {
  const parsed = bodyParserProblem(exception.cause);
  if (parsed) return { status: parsed[0], code: parsed[1], detail: parsed[2] };
  if (exception instanceof NotFoundException && request.route === undefined) {
    const detail = `no route for ${request.method} ${cut(request.path, 120)}`;
    return { status: 404, code: 'ROUTE_NOT_FOUND', detail };
  }
  const status = exception.getStatus();
  const response = exception.getResponse();
  const ownCode = (response as { code?: unknown } | null)?.code;
  return {
    status,
    code: typeof ownCode === 'string' ? ownCode : phraseCode(status),
    detail: httpExceptionDetail(exception),
    errors: violationsOf(exception) ?? violationsOf(response),
    extensions: extensionsOf(response),
  };
}

/**
 * A downstream status' rich details: its ErrorInfo reason is a more precise code than the
 * status name; its BadRequest names the bad fields; its RetryInfo becomes Retry-After.
 */
function fromRichDetails(exception: unknown): Partial<Draft> & { retryAfterSeconds?: number } {
  if (!(exception instanceof RpcError)) return {};
  const { errorInfo, retryInfo, badRequest } = exception.richDetails;
  return {
    code: errorInfo?.reason || undefined,
    errors: violationsOf({ violations: badRequest?.fieldViolations }),
    // Whole seconds (RFC 9110 delay-seconds), rounded up so a client never retries too early.
    retryAfterSeconds: retryInfo ? Math.ceil(retryInfo.retryDelayMs / 1000) : undefined,
  };
}

function fromError(exception: unknown, options: HttpProblemOptions): Draft & { known: boolean } {
  const outcome = statusOf(exception, options.errorCodes);
  if (!outcome.known) return { status: 500, code: 'INTERNAL', detail: 'internal error', known: false };
  const rich = fromRichDetails(exception);
  const ownCode = (exception as { code?: unknown }).code;
  const code = rich.code ?? (typeof ownCode === 'string' ? ownCode : Status[outcome.code]);
  return {
    status: options.httpStatuses?.[code] ?? httpStatusOf(outcome.code),
    code,
    detail: outcome.details,
    errors: violationsOf(exception) ?? rich.errors,
    retryAfterSeconds: rich.retryAfterSeconds,
    known: true,
  };
}

/**
 * The problem for what a handler (or Express, or body-parser) threw: HttpExceptions keep their
 * status (and may set `code`, `violations` and `extensions` in their response object); other errors go through statusOf and the gRPC → HTTP table; anything unknown is a 500
 * with no internals (`known: false`: the caller logs it under `instance`). A downstream
 * RpcError's rich details count: BadRequest fills `errors`, ErrorInfo's reason is the `code`,
 * RetryInfo is `retryAfterSeconds` (the filter's Retry-After header).
 */
export function problemOf(
  exception: unknown,
  request: ProblemRequest,
  options: HttpProblemOptions = {},
): { problem: ProblemDetails; known: boolean; retryAfterSeconds?: number } {
  const draft =
    exception instanceof HttpException
      ? { ...fromHttpException(exception, request), known: true }
      : fromError(exception, options);
  const { known, errors, extensions, status, code, detail, retryAfterSeconds } = draft;
  const problem: ProblemDetails = {
    type: options.typeBase ? `${options.typeBase}${code.toLowerCase().replace(/_/g, '-')}` : 'about:blank',
    title: STATUS_CODES[status] ?? (status === 499 ? 'Client Closed Request' : 'Error'),
    status,
    detail: cut(detail),
    code,
    ...(errors?.length ? { errors } : {}),
    ...extensions,
  };
  return { problem, known, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}
