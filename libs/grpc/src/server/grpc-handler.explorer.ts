import { Injectable } from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import {
  PARAM_ARGS_METADATA,
  PATTERN_METADATA,
  TRANSPORT_METADATA,
} from '@nestjs/microservices/constants.js';
import { RpcParamsFactory } from '@nestjs/microservices/factories/rpc-params-factory.js';
import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';

/** Invokes one controller method through Nest's guards, interceptors and pipes. */
export type NestHandler = (
  request: unknown,
  metadata: Metadata,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
) => Promise<unknown>;

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
 */
@Injectable()
export class GrpcHandlerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
  ) {}

  explore(): GrpcHandlerBinding[] {
    const bindings: GrpcHandlerBinding[] = [];
    // ExternalContextCreator turns an Observable result into its last value; a stream must
    // stay a stream, so streaming handlers come from a view whose only difference is that.
    const streamingCreator = Object.create(this.contextCreator, {
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
          bindings.push({
            service: pattern.service,
            rpc: pattern.rpc,
            controller: instance.constructor.name,
            method,
            unary: create(this.contextCreator, instance, fn, method),
            streaming: create(streamingCreator, instance, fn, method),
          });
        }
      }
    }
    return bindings;
  }
}
