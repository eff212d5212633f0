import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * Adds gRPC server reflection (v1 and v1alpha) for `services`, answered from a
 * FileDescriptorSet (`@nestmesh/contracts` ships one built by `buf build`).
 */
export function addReflection(server: Server, descriptorSet: Uint8Array, services: readonly string[]): void {
  const packageDefinition = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet), {
    longs: String,
    enums: String,
    defaults: false,
  });
  new ReflectionService(packageDefinition, { services: [...services] }).addToServer(server);
}
