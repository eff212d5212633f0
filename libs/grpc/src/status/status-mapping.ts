import { HttpException } from '@nestjs/common';
import { Metadata, status as Status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { grpcStatusOfHttp } from './http-status.js';

/** Status names (`NOT_FOUND`) to numbers; OK excluded, since an error is never OK. */
const STATUS_BY_NAME = new Map<string, Status>(
  Object.entries(Status).filter(
    (entry): entry is [string, Status] => typeof entry[1] === 'number' && entry[0] !== 'OK',
  ),
);

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

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string'
  );
}

/**
 * The gRPC status for an error thrown by a handler, in this order:
 * 1. {@link RpcError}, or a grpc-js ServiceError from a downstream call: its own status,
 *    so a NOT_FOUND from a dependency stays NOT_FOUND;
 * 2. an error whose string `code` is a status name (`NOT_FOUND`, `FAILED_PRECONDITION`):
 *    domain errors pick from the canonical vocabulary without importing gRPC;
 * 3. an error whose `code` is in `extra`, or is one of NestMesh's library codes
 *    (`LOCK_HELD` → ABORTED, `LOCK_UNAVAILABLE` → UNAVAILABLE, …);
 * 4. a Nest HttpException (a ValidationPipe's 400, …): the HTTP status mapped back;
 * 5. anything else: INTERNAL, with a generic message so internals do not leak.
 */
export function statusOf(error: unknown, extra: ErrorCodeMap = {}): StatusOutcome {
  if (error instanceof RpcError) {
    return { code: error.status, details: error.details, metadata: error.metadata, known: true };
  }
  if (isServiceError(error)) return { code: error.code, details: error.details, known: true };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') {
      const status = extra[code] ?? LIBRARY_ERROR_CODES[code] ?? STATUS_BY_NAME.get(code);
      if (status !== undefined) return { code: status, details: error.message, known: true };
    }
    if (error instanceof HttpException) {
      return { code: grpcStatusOfHttp(error.getStatus()), details: httpExceptionMessage(error), known: true };
    }
  }
  return { code: Status.INTERNAL, details: 'internal error', known: false };
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = (response as { message: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return error.message;
}

/** The status number for a status name, or undefined. */
export function statusByName(name: string): Status | undefined {
  return STATUS_BY_NAME.get(name);
}
