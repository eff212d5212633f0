import { HttpStatus } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';

/**
 * The one gRPC ↔ HTTP table, after the mapping in Google's API design guide
 * (google.rpc.Code). Used only at HTTP edges.
 */
const HTTP_BY_STATUS: Readonly<Record<Status, HttpStatus>> = {
  [Status.OK]: HttpStatus.OK,
  [Status.CANCELLED]: 499 as HttpStatus, // client closed request
  [Status.UNKNOWN]: HttpStatus.INTERNAL_SERVER_ERROR,
  [Status.INVALID_ARGUMENT]: HttpStatus.BAD_REQUEST,
  [Status.DEADLINE_EXCEEDED]: HttpStatus.GATEWAY_TIMEOUT,
  [Status.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [Status.ALREADY_EXISTS]: HttpStatus.CONFLICT,
  [Status.PERMISSION_DENIED]: HttpStatus.FORBIDDEN,
  [Status.RESOURCE_EXHAUSTED]: HttpStatus.TOO_MANY_REQUESTS,
  [Status.FAILED_PRECONDITION]: HttpStatus.CONFLICT,
  [Status.ABORTED]: HttpStatus.CONFLICT,
  [Status.OUT_OF_RANGE]: HttpStatus.BAD_REQUEST,
  [Status.UNIMPLEMENTED]: HttpStatus.NOT_IMPLEMENTED,
  [Status.INTERNAL]: HttpStatus.INTERNAL_SERVER_ERROR,
  [Status.UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [Status.DATA_LOSS]: HttpStatus.INTERNAL_SERVER_ERROR,
  [Status.UNAUTHENTICATED]: HttpStatus.UNAUTHORIZED,
};

/** Where several statuses share an HTTP code, the reverse direction picks the first listed. */
const STATUS_BY_HTTP = new Map<number, Status>([
  [HttpStatus.BAD_REQUEST, Status.INVALID_ARGUMENT],
  [HttpStatus.UNAUTHORIZED, Status.UNAUTHENTICATED],
  [HttpStatus.FORBIDDEN, Status.PERMISSION_DENIED],
  [HttpStatus.NOT_FOUND, Status.NOT_FOUND],
  [HttpStatus.CONFLICT, Status.ABORTED],
  [HttpStatus.TOO_MANY_REQUESTS, Status.RESOURCE_EXHAUSTED],
  [499, Status.CANCELLED],
  [HttpStatus.NOT_IMPLEMENTED, Status.UNIMPLEMENTED],
  [HttpStatus.SERVICE_UNAVAILABLE, Status.UNAVAILABLE],
  [HttpStatus.GATEWAY_TIMEOUT, Status.DEADLINE_EXCEEDED],
]);

export function httpStatusOf(status: Status): number {
  return HTTP_BY_STATUS[status] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

export function grpcStatusOfHttp(httpStatus: number): Status {
  const exact = STATUS_BY_HTTP.get(httpStatus);
  if (exact !== undefined) return exact;
  if (httpStatus >= 400 && httpStatus < 500) return Status.FAILED_PRECONDITION;
  return httpStatus >= 500 ? Status.INTERNAL : Status.UNKNOWN;
}
