import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';

import { httpStatusOf } from './http-status.js';
import { statusOf } from './status-mapping.js';
import type { ErrorCodeMap } from './status-mapping.js';

interface HttpResponseLike {
  status(code: number): { json(body: unknown): void };
}

/**
 * The HTTP edge: turns what a handler threw into an HTTP answer through the one gRPC ↔ HTTP
 * table. A NOT_FOUND from inventory becomes 404, FAILED_PRECONDITION 409; Nest's own
 * HttpExceptions (a ValidationPipe's 400) keep their status and body. Unknown errors are
 * logged with their stack and answered 500 without internals.
 * Use it with `app.useGlobalFilters(new GrpcHttpExceptionFilter())` or `@UseFilters`.
 */
@Catch()
export class GrpcHttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpEdge');

  constructor(private readonly extraCodes: ErrorCodeMap = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // A global filter also runs for the app's gRPC handlers, whose errors get a gRPC status.
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<HttpResponseLike>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      response
        .status(exception.getStatus())
        .json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const outcome = statusOf(exception, this.extraCodes);
    if (!outcome.known) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    const httpStatus = httpStatusOf(outcome.code);
    response.status(httpStatus).json({
      statusCode: httpStatus,
      error: Status[outcome.code],
      message: outcome.details,
    });
  }
}
