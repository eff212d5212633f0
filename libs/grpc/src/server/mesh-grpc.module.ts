import { Module } from '@nestjs/common';
import { DiscoveryModule as NestDiscoveryModule } from '@nestjs/core';

import { GrpcHandlerExplorer } from './grpc-handler.explorer.js';
import { ConfigurableModuleClass } from './mesh-grpc.module-definition.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

/**
 * Serves the app's `@GrpcMethod` controllers (ts-proto `@…ControllerMethods()`) over gRPC,
 * with grpc.health.v1, reflection, self-registration and graceful drain:
 * `MeshGrpcModule.forRoot({ name: 'inventory', services: [InventoryServiceService] })`.
 */
@Module({
  imports: [NestDiscoveryModule],
  providers: [GrpcHandlerExplorer, MeshGrpcServer],
  exports: [MeshGrpcServer],
})
export class MeshGrpcModule extends ConfigurableModuleClass {}
