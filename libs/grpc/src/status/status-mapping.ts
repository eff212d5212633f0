import { HttpException } from '@nestjs/common';
import { GrpcException, RpcException } from '@nestjs/microservices';
import { Metadata, status as Status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { httpExceptionDetails, statusOfHttpException } from './http-exception-status.js';
import { badRequestOf, encodeStatusDetails, STATUS_DETAILS_KEY } from './status-details.js';

/** Status names (`NOT_FOUND`) to numbers; OK excluded, since an error is never OK. */
const STATUS_BY_NAME = new Map<string, Status>(
  Object.entries(Status).filter(
    (entry): entry is [string, Status] => typeof entry[1] === 'number' && entry[0] !== 'OK',
  ),
);

/**
 * Longest status message sent, in UTF-16 code units: a message is a header (`grpc-message`,
 * percent-encoded, so up to 9 bytes per code unit), and an error that echoes its input (a
 * 10 kB SKU, thousands of validation messages) must not turn into a 100 kB header.
 */
export const MAX_STATUS_DETAILS_LENGTH = 1024;

/** Extra string error codes → status, for errors whose `code` is not a gRPC status name. */
export type ErrorCodeMap = Readonly<Record<string, Status>>;

/**
 * Codes of NestMesh's own libraries, mapped by name so this lib imports none of them:
 * a held lock is ABORTED (retry at a higher level), an unreachable lock, election or registry
 * backend UNAVAILABLE (retry the call), a lease or leadership lost mid-work ABORTED. A
 * leader-only call on a follower is FAILED_PRECONDITION: retrying it here cannot succeed; the
 * caller must go to the leader.
 */
export const LIBRARY_ERROR_CODES: ErrorCodeMap = {
  LOCK_HELD: Status.ABORTED,
  LOCK_LOST: Status.ABORTED,
  LOCK_UNAVAILABLE: Status.UNAVAILABLE,
  NOT_LEADER: Status.FAILED_PRECONDITION,
  LEADERSHIP_LOST: Status.ABORTED,
  ELECTION_UNAVAILABLE: Status.UNAVAILABLE,
  REGISTRY_UNAVAILABLE: Status.UNAVAILABLE,
};

export interface StatusOutcome {
  code: Status;
  details: string;
  metadata?: Metadata;
  /** False when the error is not one the mapping recognises (logged as a bug by the server). */
  known: boolean;
}

/** True for the code of a status an error may carry: an integer in 1..16 (not OK). */
export function isErrorStatus(value: unknown): value is Status {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 16;
}

/**
 * The gRPC status for an error thrown by a handler (or produced by an exception filter), in
 * this order:
 * 1. {@link RpcError}, or a grpc-js ServiceError from a downstream call: its own status,
 *    so a NOT_FOUND from a dependency stays NOT_FOUND;
 * 2. Nest's `RpcException`: `{ code, message, details?, metadata? }` is that status (a
 *    string `details` replaces `message`, as grpc-js does); a bare string, or an object
 *    without a valid code, is UNKNOWN with its message — what Nest's own gRPC transport sends.
 *    Nest's `GrpcException` family (`GrpcNotFoundException`, …): its code and message;
 * 3. an error whose string `code` is in `extra`, is a NestMesh library code (`LOCK_HELD` →
 *    ABORTED, …) or is a status name (`NOT_FOUND`): domain errors pick a status by name;
 * 4. a Nest HttpException (a ValidationPipe's 400, …): see {@link statusOfHttpException};
 * 5. a plain object (not an Error) with a valid `code`, as an exception filter emits it
 *    (`throwError(() => ({ code, message }))`); Nest's BaseRpcExceptionFilter output
 *    `{ status: 'error', message }` is UNKNOWN with that message;
 * 6. anything else: INTERNAL, with a generic message so internals do not leak.
 * Codes are looked up as own properties only: `code: 'constructor'` maps to nothing. Details
 * are cut to {@link MAX_STATUS_DETAILS_LENGTH}. An INVALID_ARGUMENT error that names its bad
 * fields in `violations` (`[{ field, description }]`) and brings no metadata of its own gets
 * them as a google.rpc.BadRequest in grpc-status-details-bin (see {@link badRequestOf}).
 */
export function statusOf(error: unknown, extra: ErrorCodeMap = {}): StatusOutcome {
  const outcome = classify(error, extra);
  outcome.details = boundDetails(outcome.details);
  if (outcome.code === Status.INVALID_ARGUMENT && outcome.metadata === undefined) {
    const badRequest = badRequestOf(error);
    if (badRequest) {
      outcome.metadata = new Metadata();
      outcome.metadata.set(
        STATUS_DETAILS_KEY,
        encodeStatusDetails(outcome.code, outcome.details, { badRequest }),
      );
    }
  }
  return outcome;
}

function classify(error: unknown, extra: ErrorCodeMap): StatusOutcome {
  if (error instanceof RpcError) {
    return { code: error.status, details: error.details, metadata: error.metadata, known: true };
  }
  if (isServiceError(error)) return { code: error.code, details: error.details, known: true };
  if (error instanceof RpcException) return rpcExceptionOutcome(error, extra);
  if (error instanceof GrpcException) {
    const code = error.getCode();
    return { code: isErrorStatus(code) ? code : Status.UNKNOWN, details: error.message, known: true };
  }
  if (error instanceof Error) {
    // Only string codes: numeric ones on errors are other systems' (MongoDB's 13 is
    // "Unauthorized", not UNAUTHENTICATED), and their messages are not meant for callers.
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'string' ? statusOfCode(code, extra) : undefined;
    if (status !== undefined) return { code: status, details: error.message, known: true };
    if (error instanceof HttpException) {
      return { code: statusOfHttpException(error), details: httpExceptionDetails(error), known: true };
    }
  } else if (typeof error === 'object' && error !== null) {
    return plainObjectOutcome(error as Record<string, unknown>, extra);
  }
  return unknownOutcome();
}

function unknownOutcome(): StatusOutcome {
  return { code: Status.INTERNAL, details: 'internal error', known: false };
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string'
  );
}

/** A status number, or a string looked up (own keys only) in `extra`, the library codes, the names. */
function statusOfCode(code: unknown, extra: ErrorCodeMap): Status | undefined {
  if (typeof code === 'number') return isErrorStatus(code) ? code : undefined;
  if (typeof code !== 'string') return undefined;
  for (const table of [extra, LIBRARY_ERROR_CODES]) {
    if (Object.hasOwn(table, code) && isErrorStatus(table[code])) return table[code];
  }
  return STATUS_BY_NAME.get(code);
}

function rpcExceptionOutcome(exception: RpcException, extra: ErrorCodeMap): StatusOutcome {
  const payload = exception.getError();
  const outcome =
    typeof payload === 'object' && payload !== null
      ? statusObject(payload as Record<string, unknown>, extra)
      : undefined;
  return outcome ?? { code: Status.UNKNOWN, details: exception.message, known: true };
}

/** `{ code, message, details?, metadata? }` as grpc-js reads it (a string `details` wins), if `code` is valid. */
function statusObject(fields: Record<string, unknown>, extra: ErrorCodeMap): StatusOutcome | undefined {
  const code = statusOfCode(fields.code, extra);
  if (code === undefined) return undefined;
  return {
    code,
    details: textOf(fields.details) ?? textOf(fields.message) ?? Status[code],
    metadata: fields.metadata instanceof Metadata ? fields.metadata : undefined,
    known: true,
  };
}

function plainObjectOutcome(fields: Record<string, unknown>, extra: ErrorCodeMap): StatusOutcome {
  const outcome = statusObject(fields, extra);
  if (outcome) return outcome;
  const message = textOf(fields.message);
  // What Nest's BaseRpcExceptionFilter emits (and Nest's gRPC transport sends as UNKNOWN).
  if (fields.status === 'error' && message !== undefined) {
    return { code: Status.UNKNOWN, details: message, known: true };
  }
  return unknownOutcome();
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function boundDetails(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS_LENGTH) return details;
  let end = MAX_STATUS_DETAILS_LENGTH - 1;
  // Do not cut a surrogate pair in two: half an emoji is not valid UTF-8.
  if (/[\uD800-\uDBFF]/.test(details.charAt(end - 1))) end--;
  return `${details.slice(0, end)}…`;
}

/** The status number for a status name, or undefined. */
export function statusByName(name: string): Status | undefined {
  return STATUS_BY_NAME.get(name);
}
