import { Logger } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { RpcProxy } from '@nestjs/microservices/context/rpc-proxy.js';
import type { RpcExceptionsHandler } from '@nestjs/microservices/exceptions/rpc-exceptions-handler.js';
import { filter, from, isObservable, throwError, throwIfEmpty, type Observable } from 'rxjs';

/**
 * Runs exception filters with Nest's `RpcExceptionFilter` contract: the filter Nest selects
 * (method, then class, then global filters; the first whose `@Catch()` matches) gets
 * `catch(exception, host)` with an `'rpc'` host whose arguments are `(request, metadata,
 * call)`, and returns an Observable:
 * - that errors (`throwError(() => new RpcException({ code, message }))`): its error is sent,
 *   through the same status mapping as a thrown error;
 * - that emits: the filter recovered; its (last) value is the response, or the stream's rest;
 * - that completes without a value: the original exception is sent.
 * A Promise counts as a one-value Observable. A filter that returns anything else (nothing,
 * or a plain value, as an HTTP filter would) did not answer: the original exception is sent
 * and a warning names the method, once. A filter that throws sends what it threw. An
 * exception no filter catches is passed on untouched, where Nest would have replaced it with
 * its generic `{ status: 'error', message: 'Internal server error' }`.
 */
export class FilteringRpcProxy extends RpcProxy {
  private readonly logger = new Logger('MeshGrpcServer');
  private readonly warned = new Set<string>();

  override handleError<T>(handler: RpcExceptionsHandler, args: unknown[], exception: T): Observable<unknown> {
    const host = new ExecutionContextHost(args);
    host.setType('rpc');
    const result: unknown = handler.invokeCustomFilters(exception, host);
    if (result === null) return throwError(() => exception);
    if (isObservable(result) || isPromiseLike(result)) {
      return from(result).pipe(
        filter((value) => value !== undefined && value !== null),
        throwIfEmpty(() => exception),
      );
    }
    this.warnOnce(methodOf(args[2]));
    return throwError(() => exception);
  }

  private warnOnce(method: string): void {
    if (this.warned.has(method)) return;
    this.warned.add(method);
    this.logger.warn(
      `an exception filter of ${method} returned neither an Observable nor a Promise; on gRPC a filter answers with throwError(() => new RpcException({ code, message })) or an Observable of the response. The original exception was sent.`,
    );
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function methodOf(call: unknown): string {
  const getPath = (call as { getPath?: () => string } | undefined)?.getPath;
  return typeof getPath === 'function' ? getPath.call(call) : 'a gRPC method';
}
