import type { Metadata } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { decodeStatusDetails, type FieldViolation } from './status-details.js';

export { STATUS_DETAILS_KEY, type FieldViolation } from './status-details.js';

/**
 * INVALID_ARGUMENT with the violations as a google.rpc.BadRequest in `grpc-status-details-bin`
 * (google.rpc.Status { code, message, details: [Any(BadRequest)] }), the standard way gRPC
 * carries field errors, so that any client can name the bad fields without parsing `message`.
 */
export function invalidArgument(message: string, violations: readonly FieldViolation[]): RpcError {
  return new RpcError(Status.INVALID_ARGUMENT, message, {
    badRequest: { fieldViolations: violations.map(({ field, description }) => ({ field, description })) },
  });
}

/** The field violations in a status' `grpc-status-details-bin` (a client's view), or []. */
export function fieldViolationsOf(metadata: Metadata | undefined): FieldViolation[] {
  return decodeStatusDetails(metadata).badRequest?.fieldViolations ?? [];
}
