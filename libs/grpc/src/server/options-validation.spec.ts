import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Controller, Scope } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { OrderServiceService } from '@nestmesh/contracts/order/v1';
import { startContext } from '@nestmesh/testing';

import { MeshClientModule } from '../client/mesh-client.module.js';
import { GrpcBindingError, GrpcListenError, InvalidGrpcOptionsError } from '../grpc.errors.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';
import { FixtureModule } from '../test-fixtures/fixture-inventory.js';
import type { AnyServiceDefinition } from './service-definition.js';

function namesOption(option: string) {
  return (error: unknown) =>
    error instanceof InvalidGrpcOptionsError &&
    error.option === option &&
    error.message.includes(`"${option}"`);
}

describe('invalid options fail at startup, naming the option', () => {
  it('client: a negative deadline', () => {
    assert.throws(
      () =>
        MeshClientModule.register({
          service: 'inventory',
          definition: InventoryServiceService,
          timeoutMs: -1,
        }),
      namesOption('timeoutMs'),
    );
  });

  it('client: a missing service definition', () => {
    assert.throws(
      () =>
        MeshClientModule.register({
          service: 'inventory',
          definition: undefined as unknown as AnyServiceDefinition,
        }),
      namesOption('definition'),
    );
  });

  it('client: a service name that cannot be dialled', () => {
    assert.throws(
      () => MeshClientModule.register({ service: 'no spaces/please', definition: InventoryServiceService }),
      namesOption('service'),
    );
  });

  const registry = () => `memory://${randomUUID()}`;

  it('server: no services to serve', async () => {
    await assert.rejects(
      startContext(FixtureModule.forRoot({ registry: registry(), server: { services: [] } })),
      namesOption('services'),
    );
  });

  it('server: a port out of range', async () => {
    await assert.rejects(
      startContext(FixtureModule.forRoot({ registry: registry(), server: { port: 70_000 } })),
      namesOption('port'),
    );
  });

  it('server: a negative drain timeout', async () => {
    await assert.rejects(
      startContext(FixtureModule.forRoot({ registry: registry(), server: { drainTimeoutMs: -5 } })),
      namesOption('drainTimeoutMs'),
    );
  });

  it('server: a port that is taken fails with GrpcListenError naming the address', async () => {
    const first = await startContext(FixtureModule.forRoot({ registry: registry() }));
    try {
      const port = first.get(MeshGrpcServer).port;
      await assert.rejects(
        startContext(FixtureModule.forRoot({ registry: registry(), server: { port } })),
        (error: unknown) => error instanceof GrpcListenError && error.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      await first.close();
    }
  });

  it('server: a controller method for a service that is not served', async () => {
    await assert.rejects(
      startContext(
        FixtureModule.forRoot({ registry: registry(), server: { services: [OrderServiceService] } }),
      ),
      (error: unknown) =>
        error instanceof GrpcBindingError && /FixtureInventoryController\.getStock/.test(error.message),
    );
  });

  it('server: a handler for a method the service does not have', async () => {
    @Controller()
    class TypoController {
      @GrpcMethod('InventoryService', 'getStok')
      getStok() {
        return {};
      }
    }
    const module = FixtureModule.forRoot({ registry: registry(), withoutController: true });
    module.controllers = [TypoController];
    await assert.rejects(
      startContext(module),
      (error: unknown) => error instanceof GrpcBindingError && /getStok/.test(error.message),
    );
  });

  it('server: an errorCodes entry that is not an error status', async () => {
    for (const status of [0, 17, 'NOT_FOUND']) {
      await assert.rejects(
        startContext(
          FixtureModule.forRoot({
            registry: registry(),
            server: { errorCodes: { OUT_OF_STOCK: status } as never },
          }),
        ),
        namesOption('errorCodes'),
      );
    }
  });

  it('server: a request-scoped gRPC controller is refused, naming it', async () => {
    @Controller({ scope: Scope.REQUEST })
    class PerCallController {
      @GrpcMethod('InventoryService', 'getStock')
      getStock() {
        return {};
      }
    }
    const module = FixtureModule.forRoot({ registry: registry(), withoutController: true });
    module.controllers = [PerCallController];
    await assert.rejects(
      startContext(module),
      (error: unknown) =>
        error instanceof GrpcBindingError &&
        /PerCallController\.getStock: request-scoped/.test(error.message),
    );
  });
});
