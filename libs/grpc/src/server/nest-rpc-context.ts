import type { ContextType } from '@nestjs/common';
import type { ApplicationConfig, ModulesContainer, NestContainer } from '@nestjs/core';
import {
  FORBIDDEN_MESSAGE,
  GuardsConsumer,
  GuardsContextCreator,
  InterceptorsContextCreator,
  PipesConsumer,
  PipesContextCreator,
  STATIC_CONTEXT,
} from '@nestjs/core/internal';
import { RpcException } from '@nestjs/microservices';
import { ExceptionFiltersContext } from '@nestjs/microservices/context/exception-filters-context.js';
import { RpcContextCreator } from '@nestjs/microservices/context/rpc-context-creator.js';
import { DEFAULT_GRPC_CALLBACK_METADATA } from '@nestjs/microservices/context/rpc-metadata-constants.js';
import { status as Status } from '@grpc/grpc-js';
import type { CanActivate } from '@nestjs/common';

import { FilteringRpcProxy } from './exception-filters.js';
import { StreamAwareInterceptorsConsumer } from './stream-interceptors.js';

type Callback = (...args: unknown[]) => unknown;

/**
 * Nest's own RPC execution context (the one `@nestjs/microservices` builds for its gRPC
 * transport), so that a handler here runs exactly as it would there: guards, then
 * interceptors around pipes and the handler, with arguments `(payload, metadata, call)`
 * when the method has no parameter decorators — pipes, global ones included, then run on the
 * request message. Three differences:
 * - a guard's refusal throws `RpcException({ code: PERMISSION_DENIED, message: 'Forbidden
 *   resource' })` instead of Nest's bare-string RpcException, which would be UNKNOWN;
 * - an exception no filter handles is passed on untouched (see exception-filters.ts) instead
 *   of becoming Nest's generic `{ status: 'error', message: 'Internal server error' }`;
 * - interceptors see the items of a stream returned as an AsyncIterable (stream-interceptors.ts).
 */
export class GrpcContextCreator extends RpcContextCreator {
  private constructor(
    private readonly guardRunner: GuardsConsumer,
    container: NestContainer,
    config: ApplicationConfig,
  ) {
    super(
      new FilteringRpcProxy(),
      new ExceptionFiltersContext(container, config),
      new PipesContextCreator(container, config),
      new PipesConsumer(),
      new GuardsContextCreator(container, config),
      guardRunner,
      new InterceptorsContextCreator(container, config),
      new StreamAwareInterceptorsConsumer(),
      config,
    );
  }

  /**
   * Nest's context creators look enhancer classes up in the app's modules and read nothing
   * else of the container, so the modules are all this needs (a NestContainer is not
   * injectable).
   */
  static forModules(modules: ModulesContainer, config: ApplicationConfig): GrpcContextCreator {
    const container = { getModules: () => modules } as unknown as NestContainer;
    return new GrpcContextCreator(new GuardsConsumer(), container, config);
  }

  /** The handler with its enhancers; it returns a promise of a value or of an Observable. */
  handlerFor(
    instance: object,
    callback: Callback,
    moduleKey: string,
    method: string,
  ): (...args: unknown[]) => Promise<unknown> {
    return this.create(
      instance,
      callback as Parameters<RpcContextCreator['create']>[1],
      moduleKey,
      method,
      STATIC_CONTEXT,
      undefined,
      DEFAULT_GRPC_CALLBACK_METADATA,
    );
  }

  override createGuardsFn<TContext extends string = ContextType>(
    guards: CanActivate[],
    instance: object,
    callback: Callback,
    contextType?: TContext,
  ): ((args: unknown[]) => Promise<void>) | null {
    if (guards.length === 0) return null;
    return async (args) => {
      if (!(await this.guardRunner.tryActivate(guards, args, instance, callback, contextType))) {
        throw new RpcException({ code: Status.PERMISSION_DENIED, message: FORBIDDEN_MESSAGE });
      }
    };
  }
}
