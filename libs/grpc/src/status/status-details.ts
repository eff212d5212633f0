import type { Metadata } from '@grpc/grpc-js';
import {
  Any,
  BadRequest,
  ErrorInfo,
  RetryInfo,
  Status as StatusMessage,
} from '@nestmesh/contracts/google/rpc';

/** The trailer where gRPC carries a google.rpc.Status with typed details (grpcurl prints them). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** google.rpc.BadRequest.FieldViolation: `field` is a path (`items[0].sku`). */
export interface FieldViolation {
  field: string;
  description: string;
}

/** google.rpc.ErrorInfo: why, as a constant a program can branch on, and where. */
export interface ErrorInfoDetail {
  /** UPPER_SNAKE_CASE, unique within `domain` (`STOCK_EXHAUSTED`). */
  reason: string;
  /** Who defines `reason`: a service name or the API's domain (`inventory.nestmesh.dev`). */
  domain: string;
  /** Facts about this occurrence (`{ sku: 'A-1' }`); keys lowerCamelCase, values short. Received: always set. */
  metadata?: Record<string, string>;
}

/** google.rpc.RetryInfo: how long the client should wait before retrying, in milliseconds. */
export interface RetryInfoDetail {
  retryDelayMs: number;
}

/** google.rpc.BadRequest: the request's fields that are wrong, and how. */
export interface BadRequestDetail {
  fieldViolations: FieldViolation[];
}

/**
 * The standard details of a status as NestMesh reads and writes them. On a received status
 * each is present only when the trailer carried one; details of other types are ignored.
 */
export interface RichErrorDetails {
  errorInfo?: ErrorInfoDetail;
  retryInfo?: RetryInfoDetail;
  badRequest?: BadRequestDetail;
}

/** `type.googleapis.com/<full name>`: the Any type URLs every gRPC implementation expects. */
export const DETAIL_TYPE_URLS = {
  errorInfo: 'type.googleapis.com/google.rpc.ErrorInfo',
  retryInfo: 'type.googleapis.com/google.rpc.RetryInfo',
  badRequest: 'type.googleapis.com/google.rpc.BadRequest',
} as const;

const NANOS_PER_MS = 1_000_000;
const NANOS_PER_SECOND = 1_000_000_000n;

/** The details as Any messages, in the order ErrorInfo, RetryInfo, BadRequest. */
function anyDetails({ errorInfo, retryInfo, badRequest }: RichErrorDetails): Any[] {
  const details: Any[] = [];
  if (errorInfo) {
    details.push({
      typeUrl: DETAIL_TYPE_URLS.errorInfo,
      value: Buffer.from(ErrorInfo.encode(ErrorInfo.fromPartial(errorInfo)).finish()),
    });
  }
  if (retryInfo) {
    const totalNanos = BigInt(Math.round(retryInfo.retryDelayMs * NANOS_PER_MS));
    const retryDelay = {
      seconds: totalNanos / NANOS_PER_SECOND,
      nanos: Number(totalNanos % NANOS_PER_SECOND),
    };
    details.push({
      typeUrl: DETAIL_TYPE_URLS.retryInfo,
      value: Buffer.from(RetryInfo.encode({ retryDelay }).finish()),
    });
  }
  if (badRequest) {
    details.push({
      typeUrl: DETAIL_TYPE_URLS.badRequest,
      value: Buffer.from(BadRequest.encode(BadRequest.fromPartial(badRequest)).finish()),
    });
  }
  return details;
}

/** A google.rpc.Status { code, message, details } as the bytes of grpc-status-details-bin. */
export function encodeStatusDetails(code: number, message: string, details: RichErrorDetails): Buffer {
  return Buffer.from(StatusMessage.encode({ code, message, details: anyDetails(details) }).finish());
}

function decodeAny({ typeUrl, value }: Any, into: RichErrorDetails): void {
  switch (typeUrl) {
    case DETAIL_TYPE_URLS.errorInfo: {
      const { reason, domain, metadata } = ErrorInfo.decode(value);
      into.errorInfo = { reason, domain, metadata };
      break;
    }
    case DETAIL_TYPE_URLS.retryInfo: {
      const { retryDelay } = RetryInfo.decode(value);
      const retryDelayMs = Number(retryDelay?.seconds ?? 0n) * 1000 + (retryDelay?.nanos ?? 0) / NANOS_PER_MS;
      // A negative or absurd delay (a buggy or hostile server) is not a delay to honour.
      if (Number.isFinite(retryDelayMs) && retryDelayMs >= 0) into.retryInfo = { retryDelayMs };
      break;
    }
    case DETAIL_TYPE_URLS.badRequest: {
      const fieldViolations = BadRequest.decode(value).fieldViolations.map(({ field, description }) => ({
        field,
        description,
      }));
      into.badRequest = { fieldViolations };
      break;
    }
  }
}

/**
 * The standard details in a status' grpc-status-details-bin trailer: `{}` when there is none,
 * and also when it cannot be decoded — a malformed trailer never hides the status itself.
 */
export function decodeStatusDetails(metadata: Metadata | undefined): RichErrorDetails {
  const value = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (value === undefined || typeof value === 'string') return {};
  const details: RichErrorDetails = {};
  try {
    for (const any of StatusMessage.decode(value).details) decodeAny(any, details);
  } catch {
    return {};
  }
  return details;
}

/** Why details given to a server-side error cannot be sent, or undefined when they can. */
export function detailsProblem({ errorInfo, retryInfo }: RichErrorDetails): string | undefined {
  if (errorInfo && (!errorInfo.reason || !errorInfo.domain)) {
    return 'errorInfo needs a non-empty reason and domain';
  }
  if (retryInfo && !(Number.isFinite(retryInfo.retryDelayMs) && retryInfo.retryDelayMs >= 0)) {
    return `retryInfo.retryDelayMs must be a finite number ≥ 0, not ${retryInfo.retryDelayMs}`;
  }
  return undefined;
}

/** Bounds on the violations read off a domain error: a trailer is a header, not a report. */
const MAX_VIOLATIONS = 100;
const MAX_FIELD_CHARS = 120;
const MAX_DESCRIPTION_CHARS = 300;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`);

/**
 * The BadRequest of an error that names its bad fields in `violations` (`[{ field,
 * description }]`, the shape the HTTP edge reads too), at most 100 of them, cut to 120 and 300
 * characters; undefined when it has none.
 */
export function badRequestOf(error: unknown): BadRequestDetail | undefined {
  const violations = (error as { violations?: unknown } | null)?.violations;
  if (!Array.isArray(violations) || violations.length === 0) return undefined;
  const fieldViolations = (violations as unknown[]).slice(0, MAX_VIOLATIONS).flatMap((violation) => {
    const { field, description } = (violation ?? {}) as { field?: unknown; description?: unknown };
    if (typeof field !== 'string' || typeof description !== 'string') return [];
    return [{ field: cut(field, MAX_FIELD_CHARS), description: cut(description, MAX_DESCRIPTION_CHARS) }];
  });
  return fieldViolations.length > 0 ? { fieldViolations } : undefined;
}
