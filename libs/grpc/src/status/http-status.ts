import { HttpStatus } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';

/**
 * gRPC → HTTP, after the mapping in Google's API design guide (google.rpc.Code); used only at
 * HTTP edges. The reverse direction (an HttpException thrown on a gRPC handler) is
 * http-exception-status.ts: several statuses share one HTTP code, so it picks by meaning.
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

export function httpStatusOf(status: Status): number {
  return HTTP_BY_STATUS[status] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}
