import { Injectable } from '@nestjs/common';
import {
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import {
  ApplicationConfig,
  DiscoveryService,
  ExternalContextCreator,
  MetadataScanner,
  ModulesContainer,
} from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import {
  PARAM_ARGS_METADATA,
  PATTERN_METADATA,
  TRANSPORT_METADATA,
} from '@nestjs/microservices/constants.js';
import { RpcParamsFactory } from '@nestjs/microservices/factories/rpc-params-factory.js';
import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { isObservable, lastValueFrom } from 'rxjs';

/**
 * Invokes one controller method (through Nest's guards, interceptors and pipes when it has
 * any). Returns the result or a promise of it; may throw synchronously.
 */
export type NestHandler = (
  request: unknown,
  metadata: Metadata,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
) => unknown;

export interface GrpcHandlerBinding {
  /** As written in `@GrpcMethod(service, rpc)`: short (`InventoryService`) or qualified. */
  service: string;
  /** As written in `@GrpcMethod(service, rpc)`: `getStock` (ts-proto) or `GetStock`. */
  rpc: string;
  controller: string;
  method: string;
  /** For unary methods: Observables are awaited to their last value. */
  unary: NestHandler;
  /** For server-streaming methods: Observables and AsyncIterables are returned as they are. */
  streaming: NestHandler;
}

interface GrpcPattern {
  service?: unknown;
  rpc?: unknown;
}

/**
 * Finds every `@GrpcMethod` (and ts-proto's `@…ControllerMethods()`) handler on the app's
 * controllers and wraps it with Nest's execution context ('rpc'): guards, interceptors and
 * pipes apply as they do for Nest's own transports. Exception filters do not: errors reach
 * the transport untouched so that their gRPC status can be decided in one place.
 * A method with no guard, interceptor or parameter decorator anywhere (method, class or
 * global) is called directly: the context machinery costs about a tenth of server
 * throughput (docs/benchmarks.md) and would do nothing for it. Enhancers registered after
 * the app has bootstrapped are not seen.
 */
@Injectable()
export class GrpcHandlerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
    private readonly config: ApplicationConfig,
    private readonly modules: ModulesContainer,
  ) {}

  explore(): GrpcHandlerBinding[] {
    const bindings: GrpcHandlerBinding[] = [];
    // ExternalContextCreator finds the module of a handler among providers (it was made for
    // resolvers); controllers are not providers, and without their module no guard or
    // interceptor class could be resolved. This view also looks among controllers.
    const unaryCreator = Object.create(this.contextCreator, {
      getContextModuleKey: { value: (classRef: object) => this.moduleKeyOf(classRef) },
    }) as ExternalContextCreator;
    // ExternalContextCreator turns an Observable result into its last value; a stream must
    // stay a stream, so streaming handlers come from a view whose only difference is that.
    const streamingCreator = Object.create(unaryCreator, {
      transformToResult: { value: async (result: unknown) => result },
    }) as ExternalContextCreator;
    const paramsFactory = new RpcParamsFactory();
    const create = (
      creator: ExternalContextCreator,
      instance: object,
      callback: (...args: unknown[]) => unknown,
      method: string,
    ) =>
      creator.create(
        instance,
        callback,
        method,
        PARAM_ARGS_METADATA,
        paramsFactory as unknown as Parameters<ExternalContextCreator['create']>[4],
        undefined,
        undefined,
        { guards: true, interceptors: true, filters: false },
        'rpc',
      ) as unknown as NestHandler;

    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const callback = instance[method];
        if (typeof callback !== 'function') continue;
        if (Reflect.getMetadata(TRANSPORT_METADATA, callback) !== Transport.GRPC) continue;
        const patterns = (Reflect.getMetadata(PATTERN_METADATA, callback) ?? []) as GrpcPattern[];
        for (const pattern of patterns) {
          if (typeof pattern?.service !== 'string' || typeof pattern.rpc !== 'string') continue;
          const fn = callback as (...args: unknown[]) => unknown;
          const direct = !this.usesEnhancers(instance, fn, method);
          bindings.push({
            service: pattern.service,
            rpc: pattern.rpc,
            controller: instance.constructor.name,
            method,
            unary: direct ? callDirectly(instance, fn, true) : create(unaryCreator, instance, fn, method),
            streaming: direct
              ? callDirectly(instance, fn, false)
              : create(streamingCreator, instance, fn, method),
          });
        }
      }
    }
    return bindings;
  }

  private moduleKeyOf(classRef: object): string {
    for (const [key, moduleRef] of this.modules) {
      if (moduleRef.controllers.has(classRef as never) || moduleRef.hasProvider(classRef as never))
        return key;
    }
    return '';
  }

  private usesEnhancers(
    instance: object,
    callback: (...args: unknown[]) => unknown,
    method: string,
  ): boolean {
    const declared = (key: string) =>
      [callback, instance.constructor].some(
        (target) => ((Reflect.getMetadata(key, target) as unknown[]) ?? []).length > 0,
      );
    if (declared(GUARDS_METADATA) || declared(INTERCEPTORS_METADATA) || declared(PIPES_METADATA)) return true;
    if (Reflect.getMetadata(ROUTE_ARGS_METADATA, instance.constructor, method)) return true;
    const { config } = this;
    return (
      config.getGlobalGuards().length +
        config.getGlobalInterceptors().length +
        config.getGlobalRequestGuards().length +
        config.getGlobalRequestInterceptors().length >
      0
    );
  }
}

function callDirectly(
  instance: object,
  callback: (...args: unknown[]) => unknown,
  unary: boolean,
): NestHandler {
  return (request, metadata, call) => {
    const result = callback.call(instance, request, metadata, call);
    return unary && isObservable(result) ? lastValueFrom(result) : result;
  };
}
