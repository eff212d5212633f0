// Server reflection as third-party clients use it: the files it returns link as they are
// (no repair), byte for byte those of the descriptor set, with their imports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, createFileRegistry, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Metadata, status as Status } from '@grpc/grpc-js';
import { descriptorSet } from '@nestmesh/contracts';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { OrderServiceService } from '@nestmesh/contracts/order/v1';
import {
  ServerReflectionService,
  type ServerReflectionResponse,
} from '@nestmesh/contracts/grpc/reflection/v1';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { startContext } from '@nestmesh/testing';

import { rawClient, reflectionStream, type ReflectionStream } from '../../test-fixtures/raw-clients.js';
import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import { MeshGrpcModule } from '../mesh-grpc.module.js';
import { MeshGrpcServer } from '../mesh-grpc.server.js';
import { DescriptorIndex } from './descriptor-index.js';

const SERVED = ['inventory.v1.InventoryService', 'order.v1.OrderService', 'echo.v1.EchoService'];
const ADDED = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

@Module({
  imports: [
    MeshGrpcModule.forRoot({
      name: 'reflected',
      services: [InventoryServiceService, OrderServiceService, EchoServiceService],
      descriptorSet,
      deregisterDelayMs: 0,
    }),
  ],
})
class ReflectedModule {}

/** The set's own bytes of each file, by name: what reflection must send unchanged. */
function setFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const reader = new BinaryReader(descriptorSet);
  while (reader.pos < reader.len) {
    const [fieldNumber, wireType] = reader.tag();
    assert.equal(fieldNumber, 1, 'a FileDescriptorSet has files only');
    const bytes = Buffer.from(reader.bytes());
    assert.equal(wireType, WireType.LengthDelimited);
    files.set(fromBinary(FileDescriptorProtoSchema, bytes).name, bytes);
  }
  return files;
}

/** Sends raw bytes as a reflection request and reads the one answer. */
function askRaw(port: number, bytes: Buffer): Promise<ServerReflectionResponse> {
  const client = rawClient(port);
  const call = client.makeBidiStreamRequest(
    ServerReflectionService.serverReflectionInfo.path,
    (payload: Buffer) => payload,
    ServerReflectionService.serverReflectionInfo.responseDeserialize,
    new Metadata(),
    { deadline: Date.now() + 10_000 },
  );
  return new Promise<ServerReflectionResponse>((resolve, reject) => {
    call.on('data', resolve);
    call.on('error', reject);
    call.write(bytes);
  }).finally(() => {
    call.cancel();
    client.close();
  });
}

function filesOf(response: ServerReflectionResponse): Buffer[] {
  assert.equal(response.messageResponse?.$case, 'fileDescriptorResponse', JSON.stringify(response));
  return response.messageResponse.fileDescriptorResponse.fileDescriptorProto;
}

/** Links the returned files as any reflection client does, without repairing anything. */
function assertLinks(files: Buffer[], service: string, expected: Map<string, Buffer>): void {
  const protos = files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  const names = protos.map((proto) => proto.name);
  assert.equal(new Set(names).size, names.length, `each file once: ${names.join(', ')}`);
  protos.forEach((proto, position) => {
    assert.deepEqual(files[position], expected.get(proto.name), `${proto.name}: the set's bytes`);
    for (const dependency of proto.dependency) {
      const at = names.indexOf(dependency);
      assert.ok(at >= 0, `${proto.name} imports ${dependency}, which was not sent`);
      if (position > 0)
        assert.ok(at < position, `${dependency} comes before ${proto.name}, which imports it`);
    }
  });
  // As reflection clients link: the first file, its imports looked up among those sent.
  const registry = createFileRegistry(protos[0], (name) => protos.find((proto) => proto.name === name));
  const described = registry.getService(service);
  assert.ok(described, `${service} is in the returned files`);
  assert.equal(protos[0].name, described.file.proto.name, 'the file defining the symbol comes first');
  const seen = new Set<string>();
  const visit = (message: DescMessage) => {
    if (seen.has(message.typeName)) return;
    seen.add(message.typeName);
    for (const field of message.fields) {
      assert.ok(field.jsonName, `${message.typeName}.${field.name} has its JSON name`);
      if (field.message) visit(field.message);
      if (field.enum) assert.ok(registry.getEnum(field.enum.typeName), field.enum.typeName);
    }
  };
  for (const method of described.methods) {
    assert.equal(registry.getMessage(method.input.typeName), method.input);
    visit(method.input);
    visit(method.output);
  }
}

describe('gRPC server reflection from the descriptor set', { timeout: 60_000 }, () => {
  let app: INestApplicationContext;
  let port: number;
  let stream: ReflectionStream;
  const expected = setFiles();

  before(async () => {
    app = await startContext(ReflectedModule);
    port = app.get(MeshGrpcServer).port;
    stream = reflectionStream(port);
  });
  after(async () => {
    stream?.close();
    await app?.close();
  });

  it('lists the served services, health and both reflection versions', async () => {
    const response = await stream.ask({ $case: 'listServices', listServices: '' }, 'localhost:1');
    assert.equal(response.validHost, 'localhost:1');
    assert.deepEqual(response.originalRequest?.messageRequest, { $case: 'listServices', listServices: '' });
    assert.equal(response.messageResponse?.$case, 'listServicesResponse');
    const names = response.messageResponse.listServicesResponse.service.map((service) => service.name);
    assert.deepEqual(names.sort(), [...SERVED, ...ADDED].sort());
  });

  it('every listed service: its file and imports link without repair, the set’s bytes', async () => {
    for (const service of [...SERVED, ...ADDED]) {
      const files = filesOf(
        await stream.ask({ $case: 'fileContainingSymbol', fileContainingSymbol: service }),
      );
      assertLinks(files, service, expected);
    }
  });

  it('v1alpha answers the same, byte for byte', async () => {
    const alpha = reflectionStream(port, 'v1alpha');
    try {
      for (const service of [...SERVED, ...ADDED]) {
        const question = { $case: 'fileContainingSymbol' as const, fileContainingSymbol: service };
        const files = filesOf(await alpha.ask(question));
        assertLinks(files, service, expected);
        assert.deepEqual(files, filesOf(await stream.ask(question)), service);
      }
    } finally {
      alpha.close();
    }
  });

  it('finds methods, messages, enums, nested types and fields; files by name with imports', async () => {
    const fileOf = async (symbol: string) =>
      fromBinary(
        FileDescriptorProtoSchema,
        filesOf(await stream.ask({ $case: 'fileContainingSymbol', fileContainingSymbol: symbol }))[0],
      ).name;
    assert.equal(await fileOf('inventory.v1.InventoryService.GetStock'), 'inventory/v1/inventory.proto');
    assert.equal(await fileOf('order.v1.OrderItem'), 'order/v1/order.proto');
    assert.equal(await fileOf('order.v1.OrderStatus'), 'order/v1/order.proto');
    assert.equal(
      await fileOf('grpc.health.v1.HealthCheckResponse.ServingStatus'),
      'grpc/health/v1/health.proto',
    );
    assert.equal(await fileOf('echo.v1.EchoRequest.message'), 'echo/v1/echo.proto');
    assert.equal(await fileOf('google.protobuf.Timestamp'), 'google/protobuf/timestamp.proto');
    const byName = filesOf(
      await stream.ask({ $case: 'fileByFilename', fileByFilename: 'order/v1/order.proto' }),
    );
    assertLinks(byName, 'order.v1.OrderService', expected);
    assert.ok(byName.some((bytes) => bytes.equals(expected.get('google/protobuf/timestamp.proto')!)));
  });

  it('unknown names are NOT_FOUND error responses, and the stream answers the next question', async () => {
    for (const question of [
      { $case: 'fileContainingSymbol' as const, fileContainingSymbol: 'nope.v1.Nothing' },
      { $case: 'fileByFilename' as const, fileByFilename: 'nope/v1/nothing.proto' },
      { $case: 'allExtensionNumbersOfType' as const, allExtensionNumbersOfType: 'nope.v1.Nothing' },
      {
        $case: 'fileContainingExtension' as const,
        fileContainingExtension: { containingType: 'order.v1.OrderItem', extensionNumber: 100 },
      },
    ]) {
      const response = await stream.ask(question);
      assert.deepEqual(response.originalRequest?.messageRequest, question);
      assert.equal(response.messageResponse?.$case, 'errorResponse', JSON.stringify(response));
      assert.equal(Status[response.messageResponse.errorResponse.errorCode], 'NOT_FOUND');
      assert.ok(
        response.messageResponse.errorResponse.errorMessage.includes('nope') ||
          question.$case === 'fileContainingExtension',
      );
    }
    const numbers = await stream.ask({
      $case: 'allExtensionNumbersOfType',
      allExtensionNumbersOfType: 'order.v1.OrderItem',
    });
    assert.deepEqual(numbers.messageResponse, {
      $case: 'allExtensionNumbersResponse',
      allExtensionNumbersResponse: { baseTypeName: 'order.v1.OrderItem', extensionNumber: [] },
    });
    const empty = await stream.ask(undefined);
    assert.equal(empty.messageResponse?.$case, 'errorResponse');
    assert.equal(Status[empty.messageResponse.errorResponse.errorCode], 'INVALID_ARGUMENT');
    assertLinks(
      filesOf(await stream.ask({ $case: 'fileContainingSymbol', fileContainingSymbol: SERVED[0] })),
      SERVED[0],
      expected,
    );
  });

  it('a request that is not a ServerReflectionRequest is an INVALID_ARGUMENT error response', async () => {
    // Field 4 (file_containing_symbol) declared 100 bytes long, with 2 present.
    const response = await askRaw(port, Buffer.from([0x22, 0x64, 0x41, 0x42]));
    assert.equal(response.messageResponse?.$case, 'errorResponse');
    assert.equal(Status[response.messageResponse.errorResponse.errorCode], 'INVALID_ARGUMENT');
  });
});

describe('gRPC server reflection at shutdown', { timeout: 60_000 }, () => {
  const drainTimeoutMs = 20_000;

  it('an open reflection stream ends with OK and does not hold the drain', async () => {
    @Module({
      imports: [
        MeshGrpcModule.forRoot({
          name: 'reflected',
          services: [EchoServiceService],
          descriptorSet,
          deregisterDelayMs: 0,
          drainTimeoutMs,
        }),
      ],
    })
    class DrainedModule {}
    const app = await startContext(DrainedModule);
    const stream = reflectionStream(app.get(MeshGrpcServer).port);
    try {
      await stream.ask({ $case: 'listServices', listServices: '' });
      const ended = stream.ended();
      const startedMs = performance.now();
      await app.close();
      assert.ok(performance.now() - startedMs < drainTimeoutMs / 2, 'the drain did not wait for the stream');
      assert.equal(Status[await ended], 'OK');
    } finally {
      stream.close();
      await app.close();
    }
  });
});

describe('a descriptor set that misses an import', () => {
  it('is refused when the index is built, naming the option', () => {
    const set = fromBinary(FileDescriptorSetSchema, descriptorSet);
    const file = set.file.filter((proto) => proto.name !== 'google/protobuf/timestamp.proto');
    const incomplete = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file }));
    assert.throws(
      () => new DescriptorIndex(incomplete),
      (error: unknown) =>
        error instanceof InvalidGrpcOptionsError &&
        error.option === 'descriptorSet' &&
        /google\/protobuf\/timestamp\.proto/.test(error.message),
    );
  });
});
