import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';

import { GrpcBindingError } from '../grpc.errors.js';
import { GrpcMethodStreamingType } from '@nestjs/microservices';

import { serverStreamingCall, unaryCall, type ErrorToStatus } from './call-adapters.js';
import {
  tracedBidiStreaming,
  tracedClientStreaming,
  tracedServerStreaming,
  tracedUnary,
  type ServerTelemetry,
} from './server-tracing.js';
import { bidiStreamingCall, clientStreamingCall } from './stream-call-adapters.js';
import { inCallContext, streamInCallContext } from './call-context.js';
import type { GrpcHandlerBinding } from './grpc-handler.explorer.js';
import type { LoadShedder } from './shedding/load-shedder.js';
import { gatedAnswer, gatedStream } from './shedding/shed-handlers.js';
import { protoMethodNameOf, serviceNameOf, type AnyServiceDefinition } from './service-definition.js';

export interface BoundServices {
  /** Fully-qualified names of the services added to the server. */
  services: string[];
  /** Methods no controller handles: grpc-js answers them UNIMPLEMENTED. */
  unhandled: string[];
}

/** Services whose calls are never shed: probes and tooling must get through an overload. */
const NEVER_SHED = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

/**
 * Adds each definition to the server with the controller methods that handle it, each traced
 * (server-tracing.ts) when `telemetry` is given and behind `shedder`'s gate (shedding/) when
 * given, inside the trace: a shed call has its span and duration, with its status. A handler
 * for a service or method that is not served is a configuration error and fails startup,
 * naming the controller method: a typo must not turn into silent UNIMPLEMENTED answers.
 */
export function bindServices(
  server: Server,
  definitions: readonly AnyServiceDefinition[],
  bindings: readonly GrpcHandlerBinding[],
  toStatus: ErrorToStatus,
  telemetry?: ServerTelemetry,
  shedder?: LoadShedder,
): BoundServices {
  const byName = new Map<string, AnyServiceDefinition>();
  for (const definition of definitions) {
    const fullName = serviceNameOf(definition);
    byName.set(fullName, definition);
    byName.set(fullName.slice(fullName.lastIndexOf('.') + 1), definition);
  }
  const handlers = new Map<string, GrpcHandlerBinding>();
  for (const binding of bindings) {
    const where = `${binding.controller}.${binding.method}`;
    const definition = byName.get(binding.service);
    if (!definition) {
      throw new GrpcBindingError(
        `${where} handles ${binding.service}/${binding.rpc}, but no served definition is called "${binding.service}"; add it to MeshGrpcModule "services"`,
      );
    }
    const key = Object.keys(definition).find(
      (candidate) =>
        candidate === binding.rpc || protoMethodNameOf(definition[candidate].path) === binding.rpc,
    );
    if (!key)
      throw new GrpcBindingError(
        `${where} handles ${binding.service}/${binding.rpc}, which the service does not have`,
      );
    const path = definition[key].path;
    if (definition[key].requestStream) refuseUnlessStreamMethod(binding, where, path);
    if (handlers.has(path)) {
      const first = handlers.get(path)!;
      throw new GrpcBindingError(
        `${path} is handled twice: ${first.controller}.${first.method} and ${where}`,
      );
    }
    handlers.set(path, binding);
  }

  const services: string[] = [];
  const unhandled: string[] = [];
  for (const definition of new Set(byName.values())) {
    const implementation: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(definition)) {
      const binding = handlers.get(method.path);
      if (!binding) {
        unhandled.push(method.path);
        continue;
      }
      const gated = binding.noShedding || NEVER_SHED.has(serviceNameOf(definition)) ? undefined : shedder;
      implementation[key] = handlerOf(method, binding, toStatus, telemetry, gated);
    }
    server.addService(definition, implementation);
    services.push(serviceNameOf(definition));
  }
  return { services, unhandled };
}

/**
 * A method whose requests are a stream takes them as an Observable, which `@GrpcStreamMethod`
 * declares (ts-proto's `…ControllerMethods()` does so for its `grpcStreamMethods`). Declared
 * otherwise, Nest would call it with no request (`@GrpcMethod`) or the raw grpc-js call
 * (`@GrpcStreamCall`, not supported here): refused at startup rather than half working.
 */
function refuseUnlessStreamMethod(binding: GrpcHandlerBinding, where: string, path: string): void {
  if (binding.declaredAs === GrpcMethodStreamingType.RX_STREAMING) return;
  if (binding.declaredAs === GrpcMethodStreamingType.PT_STREAMING) {
    throw new GrpcBindingError(
      `${where}: @GrpcStreamCall (a handler given the raw grpc-js call) is not supported; declare ${path} with @GrpcStreamMethod, whose handler takes the requests as an Observable`,
    );
  }
  throw new GrpcBindingError(
    `${where}: ${path} takes a stream of requests; declare it with @GrpcStreamMethod (ts-proto's …ControllerMethods() does), not @GrpcMethod`,
  );
}

type MethodDefinition = AnyServiceDefinition[string];

/**
 * The grpc-js handler of one method, by its kind: behind the shedding gate when `shedder` is
 * given, traced when `telemetry` is. The handler runs in its call's context (call-context.ts):
 * the calls it makes inherit the call's deadline.
 */
function handlerOf(
  method: MethodDefinition,
  binding: GrpcHandlerBinding,
  toStatus: ErrorToStatus,
  telemetry: ServerTelemetry | undefined,
  shedder: LoadShedder | undefined,
): UntypedServiceImplementation[string] {
  const { path } = method;
  const traced = telemetry?.method(path);
  const gate = shedder?.method(path, method.requestStream || method.responseStream ? 'stream' : 'unary');
  if (method.requestStream && method.responseStream) {
    let handler = streamInCallContext(bidiStreamingCall(binding.streaming, toStatus, path));
    if (gate) handler = gatedStream(handler, gate);
    return traced ? tracedBidiStreaming(handler, traced) : handler;
  }
  if (method.requestStream) {
    let handler = inCallContext(clientStreamingCall(binding.streaming, toStatus, path));
    if (gate) handler = gatedAnswer(handler, gate);
    return traced ? tracedClientStreaming(handler, traced) : handler;
  }
  if (method.responseStream) {
    let handler = streamInCallContext(serverStreamingCall(binding.streaming, toStatus, path));
    if (gate) handler = gatedStream(handler, gate);
    return traced ? tracedServerStreaming(handler, traced) : handler;
  }
  let handler = inCallContext(unaryCall(binding.unary, toStatus, path));
  if (gate) handler = gatedAnswer(handler, gate);
  return traced ? tracedUnary(handler, traced) : handler;
}
