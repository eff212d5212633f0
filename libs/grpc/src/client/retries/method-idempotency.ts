import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import type { AnyServiceDefinition } from '../../server/service-definition.js';

/** One method of a client's service: its proto name (`GetStock`) and the definition's key (`getStock`). */
export interface MethodNames {
  proto: string;
  key: string;
}

/** The service's full name (`inventory.v1.InventoryService`) and methods of a grpc-js definition. */
export function methodsOf(definition: AnyServiceDefinition): { service: string; methods: MethodNames[] } {
  const entries = Object.entries(definition);
  const service = entries[0][1].path.split('/')[1];
  return { service, methods: entries.map(([key, method]) => ({ key, proto: method.path.split('/')[2] })) };
}

/**
 * The proto names of the methods whose proto says `option idempotency_level = IDEMPOTENT;` or
 * `NO_SIDE_EFFECTS`, read from a FileDescriptorSet (`descriptorSet` of `@nestmesh/contracts`,
 * which `npm run proto` builds from the same .proto files as the definitions): the proto stays
 * the one place where a method is declared safe to run twice.
 */
export function idempotentInDescriptorSet(descriptorSet: Uint8Array, service: string): Set<string> {
  let set;
  try {
    set = fromBinary(FileDescriptorSetSchema, descriptorSet);
  } catch (error) {
    throw new InvalidGrpcOptionsError(
      'descriptorSet',
      `is not a FileDescriptorSet: ${(error as Error).message}`,
    );
  }
  const idempotent = new Set<string>();
  let found = false;
  for (const file of set.file) {
    for (const candidate of file.service) {
      if ((file.package ? `${file.package}.${candidate.name}` : candidate.name) !== service) continue;
      found = true;
      for (const method of candidate.method) {
        const level = method.options?.idempotencyLevel ?? MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
        if (level !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) idempotent.add(method.name);
      }
    }
  }
  if (!found) throw new InvalidGrpcOptionsError('descriptorSet', `has no service ${service}`);
  return idempotent;
}

/**
 * The proto name of `name` (a proto or a client method name) among `methods`; an unknown
 * one throws InvalidGrpcOptionsError for `option`, so a typo is not silently never retried.
 */
export function protoNameOf(name: unknown, methods: readonly MethodNames[], option: string): string {
  const found = methods.find((method) => method.proto === name || method.key === name);
  if (!found) {
    const known = methods.map((method) => method.proto).join(', ');
    throw new InvalidGrpcOptionsError(
      option,
      `names ${JSON.stringify(name)}, not a method (known: ${known})`,
    );
  }
  return found.proto;
}

/** Idempotent methods by proto name: the descriptor set's, plus those the client option names. */
export function idempotentMethods(
  definition: AnyServiceDefinition,
  descriptorSet: Uint8Array | undefined,
  named: readonly string[] = [],
): Set<string> {
  const { service, methods } = methodsOf(definition);
  if (!Array.isArray(named)) {
    throw new InvalidGrpcOptionsError('idempotentMethods', 'must be a list of method names');
  }
  const idempotent = descriptorSet ? idempotentInDescriptorSet(descriptorSet, service) : new Set<string>();
  for (const name of named) idempotent.add(protoNameOf(name, methods, 'idempotentMethods'));
  return idempotent;
}
