import { Catch, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { throwError, type Observable } from 'rxjs';

import { problemOf, type HttpProblemOptions, type ProblemRequest } from './http-problem.js';

interface HttpResponseLike {
  headersSent: boolean;
  status(code: number): this;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The HTTP edge's one error shape: every error becomes an RFC 9457 problem
 * (`application/problem+json`: type, title, status, detail, code, and errors for bad fields).
 * Nest's HttpExceptions keep their status (body-parser's 413/400/415 and unknown routes get
 * their own codes); other errors map through the one gRPC → HTTP table, so a NOT_FOUND from
 * inventory is 404 and FAILED_PRECONDITION 409. Anything unrecognised is a 500 that says
 * nothing of its cause; it is logged with its stack under the problem's `instance` id. A
 * downstream status with a google.rpc.RetryInfo answers with `Retry-After` (seconds, rounded up).
 * Register it once: `app.useGlobalFilters(new GrpcHttpExceptionFilter(options))`.
 */
@Catch()
export class GrpcHttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpEdge');

  constructor(private readonly options: HttpProblemOptions = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Not an HTTP call (a gRPC handler in a hybrid app): hand the error on unchanged, as an
    // RpcExceptionFilter that does not handle it would.
    if (host.getType() !== 'http') return throwError(() => exception);
    const http = host.switchToHttp();
    const request = http.getRequest<ProblemRequest>();
    const response = http.getResponse<HttpResponseLike>();
    const { problem, known, retryAfterSeconds } = problemOf(exception, request, this.options);
    if (!known) {
      problem.instance = `urn:uuid:${randomUUID()}`;
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`${request.method} ${request.path} failed (${problem.instance}): ${stack}`);
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(problem.status);
    response.setHeader('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    if (retryAfterSeconds !== undefined) response.setHeader('retry-after', String(retryAfterSeconds));
    response.end(JSON.stringify(problem));
  }
}
