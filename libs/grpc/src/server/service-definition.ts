import type { ServiceDefinition } from '@grpc/grpc-js';

import { GrpcBindingError } from '../grpc.errors.js';

/** A grpc-js service definition as ts-proto emits it (`outputServices=grpc-js`). */
export type AnyServiceDefinition = ServiceDefinition;

/** The fully-qualified service name (`inventory.v1.InventoryService`) from the method paths. */
export function serviceNameOf(definition: AnyServiceDefinition): string {
  const first = Object.values(definition)[0];
  const match = first && /^\/([^/]+)\/[^/]+$/.exec(first.path);
  if (!match)
    throw new GrpcBindingError('a service definition has no methods with a /package.Service/Method path');
  return match[1];
}

/** The method name as written in the .proto file (`GetStock`), from its path. */
export function protoMethodNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
