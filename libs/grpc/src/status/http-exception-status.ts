import { HttpStatus } from '@nestjs/common';
import type { HttpException } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';

/**
 * The status a Nest HttpException thrown on a gRPC handler is sent with, by the meaning of the
 * Nest exception (google.rpc.Code's "HTTP Mapping" lines, read in reverse). Where one HTTP code
 * stands for several statuses the pick is what the Nest exception usually means:
 * - 409 ConflictException → ALREADY_EXISTS, not ABORTED: both map to 409 in google.rpc.Code,
 *   but Nest code throws ConflictException for "that already exists" (a duplicate key), and
 *   ABORTED tells the caller to retry the whole read-modify-write, which would repeat a
 *   duplicate forever. A concurrency conflict is thrown as `code: 'ABORTED'` (or LOCK_HELD).
 * - 400 BadRequestException (a ValidationPipe) and 422 (ValidationPipe with
 *   `errorHttpStatusCode: 422`) → INVALID_ARGUMENT; 412 → FAILED_PRECONDITION.
 * - 502 BadGateway and 503 → UNAVAILABLE (a dependency is down: the call may be retried).
 */
const STATUS_BY_HTTP_EXCEPTION = new Map<number, Status>([
  [HttpStatus.BAD_REQUEST, Status.INVALID_ARGUMENT],
  [HttpStatus.UNAUTHORIZED, Status.UNAUTHENTICATED],
  [HttpStatus.FORBIDDEN, Status.PERMISSION_DENIED],
  [HttpStatus.NOT_FOUND, Status.NOT_FOUND],
  [HttpStatus.REQUEST_TIMEOUT, Status.DEADLINE_EXCEEDED],
  [HttpStatus.CONFLICT, Status.ALREADY_EXISTS],
  [HttpStatus.GONE, Status.NOT_FOUND],
  [HttpStatus.PRECONDITION_FAILED, Status.FAILED_PRECONDITION],
  [HttpStatus.PAYLOAD_TOO_LARGE, Status.RESOURCE_EXHAUSTED],
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE, Status.INVALID_ARGUMENT],
  [HttpStatus.UNPROCESSABLE_ENTITY, Status.INVALID_ARGUMENT],
  [HttpStatus.TOO_MANY_REQUESTS, Status.RESOURCE_EXHAUSTED],
  [499, Status.CANCELLED], // client closed request
  [HttpStatus.INTERNAL_SERVER_ERROR, Status.INTERNAL],
  [HttpStatus.NOT_IMPLEMENTED, Status.UNIMPLEMENTED],
  [HttpStatus.BAD_GATEWAY, Status.UNAVAILABLE],
  [HttpStatus.SERVICE_UNAVAILABLE, Status.UNAVAILABLE],
  [HttpStatus.GATEWAY_TIMEOUT, Status.DEADLINE_EXCEEDED],
]);

/**
 * The gRPC status of an HTTP status code: the table above, then any other 4xx
 * FAILED_PRECONDITION (the caller must change something first), 5xx INTERNAL, else UNKNOWN.
 */
export function grpcStatusOfHttpException(httpStatus: number): Status {
  const exact = STATUS_BY_HTTP_EXCEPTION.get(httpStatus);
  if (exact !== undefined) return exact;
  if (httpStatus >= 400 && httpStatus < 500) return Status.FAILED_PRECONDITION;
  return httpStatus >= 500 && httpStatus < 600 ? Status.INTERNAL : Status.UNKNOWN;
}

export function statusOfHttpException(error: HttpException): Status {
  return grpcStatusOfHttpException(error.getStatus());
}

/**
 * The message of an HttpException as one line: a ValidationPipe's field messages joined with
 * `; ` (its "list" format) or as `field: message, message; …` (its "grouped" format).
 */
export function httpExceptionDetails(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message =
    typeof response === 'object' && response !== null && Object.hasOwn(response, 'message')
      ? (response as { message: unknown }).message
      : undefined;
  return messageText(message) ?? error.message;
}

function messageText(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  if (typeof message === 'object' && message !== null) {
    return Object.entries(message)
      .map(
        ([field, messages]) =>
          `${field}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`,
      )
      .join('; ');
  }
  return undefined;
}
