import { Injectable } from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { GrpcMethodStreamingType, Transport } from '@nestjs/microservices';
import { PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants.js';
import type {
  Metadata,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import { isObservable, lastValueFrom } from 'rxjs';

import { GrpcBindingError } from '../grpc.errors.js';
import { usesEnhancers } from './enhancer-detection.js';
import { GrpcContextCreator } from './nest-rpc-context.js';
import { isSheddingExempt } from './shedding/no-shedding.decorator.js';

/**
 * Invokes one controller method (through Nest's guards, interceptors, pipes and exception
 * filters when it has any). Returns the result or a promise of it; may throw synchronously.
 */
export type NestHandler = (
  request: unknown,
  metadata: Metadata,
  call:
    | ServerUnaryCall<unknown, unknown>
    | ServerWritableStream<unknown, unknown>
    | ServerReadableStream<unknown, unknown>
    | ServerDuplexStream<unknown, unknown>,
) => unknown;

export interface GrpcHandlerBinding {
  /** As written in `@GrpcMethod(service, rpc)`: short (`InventoryService`) or qualified. */
  service: string;
  /** As written in `@GrpcMethod(service, rpc)`: `getStock` (ts-proto) or `GetStock`. */
  rpc: string;
  controller: string;
  method: string;
  /** How it was declared: `@GrpcMethod` (NO_STREAMING), `@GrpcStreamMethod` (RX_STREAMING) or `@GrpcStreamCall` (PT_STREAMING). */
  declaredAs: GrpcMethodStreamingType;
  /** True when the method is called directly: no enhancer applies to it anywhere. */
  direct: boolean;
  /** `@NoShedding()` is on the method or its controller: its calls are never shed. */
  noShedding: boolean;
  /** For unary methods: Observables are awaited to their last value. */
  unary: NestHandler;
  /** For every streaming kind: Observables and AsyncIterables are returned as they are. */
  streaming: NestHandler;
}

interface GrpcPattern {
  service?: unknown;
  rpc?: unknown;
  streaming?: GrpcMethodStreamingType;
}

type Callback = (...args: unknown[]) => unknown;

/**
 * Finds every `@GrpcMethod` (and ts-proto's `@…ControllerMethods()`) handler on the app's
 * controllers and runs it in Nest's RPC execution context, as Nest's own gRPC transport
 * does (nest-rpc-context.ts): guards, interceptors, pipes and exception filters — method,
 * class and global ones, `APP_*` providers included.
 * A method with no enhancer anywhere (enhancer-detection.ts) is called directly: the context
 * machinery costs about a tenth of server throughput (docs/benchmarks.md) and would do
 * nothing for it. Enhancers registered after the app has bootstrapped are not seen.
 */
@Injectable()
export class GrpcHandlerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly config: ApplicationConfig,
    private readonly modules: ModulesContainer,
  ) {}

  explore(): GrpcHandlerBinding[] {
    const contextCreator = GrpcContextCreator.forModules(this.modules, this.config);
    const bindings: GrpcHandlerBinding[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const callback = instance[method];
        if (typeof callback !== 'function') continue;
        if (Reflect.getMetadata(TRANSPORT_METADATA, callback) !== Transport.GRPC) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          throw new GrpcBindingError(
            `${instance.constructor.name}.${method}: request-scoped controllers (Scope.REQUEST, or a request-scoped dependency or enhancer) are not supported on gRPC; make the controller a singleton and take per-call state from the call's metadata`,
          );
        }
        const handlers = this.handlersOf(contextCreator, instance, callback as Callback, method);
        const patterns = (Reflect.getMetadata(PATTERN_METADATA, callback) ?? []) as GrpcPattern[];
        for (const pattern of patterns) {
          if (typeof pattern?.service !== 'string' || typeof pattern.rpc !== 'string') continue;
          bindings.push({
            service: pattern.service,
            rpc: pattern.rpc,
            controller: instance.constructor.name,
            method,
            declaredAs: pattern.streaming ?? GrpcMethodStreamingType.NO_STREAMING,
            noShedding: isSheddingExempt(callback, instance.constructor),
            ...handlers,
          });
        }
      }
    }
    return bindings;
  }

  private handlersOf(
    contextCreator: GrpcContextCreator,
    instance: object,
    callback: Callback,
    method: string,
  ): Pick<GrpcHandlerBinding, 'direct' | 'unary' | 'streaming'> {
    if (!usesEnhancers(instance, callback, method, this.config)) {
      return {
        direct: true,
        unary: callDirectly(instance, callback, true),
        streaming: callDirectly(instance, callback, false),
      };
    }
    const handler = contextCreator.handlerFor(
      instance,
      callback,
      this.moduleKeyOf(instance.constructor),
      method,
    );
    return {
      direct: false,
      unary: (request, metadata, call) =>
        handler(request, metadata, call).then((result) =>
          isObservable(result) ? lastValueFrom(result) : result,
        ),
      streaming: handler,
    };
  }

  /** The module that declares the controller, in which its enhancer classes are resolved. */
  private moduleKeyOf(classRef: object): string {
    for (const [key, moduleRef] of this.modules) {
      if (moduleRef.controllers.has(classRef as never)) return key;
    }
    return '';
  }
}

function callDirectly(instance: object, callback: Callback, unary: boolean): NestHandler {
  return (request, metadata, call) => {
    const result = callback.call(instance, request, metadata, call);
    return unary && isObservable(result) ? lastValueFrom(result) : result;
  };
}
