import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';

import { GrpcBindingError } from '../grpc.errors.js';
import { serverStreamingCall, unaryCall, type ErrorToStatus } from './call-adapters.js';
import { tracedServerStreaming, tracedUnary, type ServerTelemetry } from './server-tracing.js';
import type { GrpcHandlerBinding } from './grpc-handler.explorer.js';
import { protoMethodNameOf, serviceNameOf, type AnyServiceDefinition } from './service-definition.js';

export interface BoundServices {
  /** Fully-qualified names of the services added to the server. */
  services: string[];
  /** Methods no controller handles: grpc-js answers them UNIMPLEMENTED. */
  unhandled: string[];
}

/**
 * Adds each definition to the server with the controller methods that handle it, each traced
 * (server-tracing.ts) when `telemetry` is given. A handler
 * for a service or method that is not served is a configuration error and fails startup,
 * naming the controller method: a typo must not turn into silent UNIMPLEMENTED answers.
 */
export function bindServices(
  server: Server,
  definitions: readonly AnyServiceDefinition[],
  bindings: readonly GrpcHandlerBinding[],
  toStatus: ErrorToStatus,
  telemetry?: ServerTelemetry,
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
    if (definition[key].requestStream) {
      throw new GrpcBindingError(`${where}: client-streaming method ${path} is not supported yet`);
    }
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
      if (method.responseStream) {
        const handler = serverStreamingCall(binding.streaming, toStatus, method.path);
        implementation[key] = telemetry
          ? tracedServerStreaming(handler, telemetry.method(method.path))
          : handler;
      } else {
        const handler = unaryCall(binding.unary, toStatus, method.path);
        implementation[key] = telemetry ? tracedUnary(handler, telemetry.method(method.path)) : handler;
      }
    }
    server.addService(definition, implementation);
    services.push(serviceNameOf(definition));
  }
  return { services, unhandled };
}
