import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { descriptorSet } from '@nestmesh/contracts';

import {
  candidateNames,
  jsonNameOf,
  normalizeFiles,
  resolveReference,
  typeIndex,
  typeReferences,
  WELL_KNOWN_FILES,
} from './descriptor-closure.js';

/** inventory.proto as the repository's own descriptor set has it (what buf builds). */
function inventoryFile(): FileDescriptorProto {
  const { file } = fromBinary(FileDescriptorSetSchema, descriptorSet);
  return file.find((each) => each.name === 'inventory/v1/inventory.proto')!;
}

const relative = (name: string) => name.replace(/^\.inventory\.v1\./, '').replace(/^\./, '');

/** The same file as grpc-js' @grpc/reflection serves it: no imports, relative names, empty JSON names. */
function asGrpcJsReflectionSendsIt(file: FileDescriptorProto): FileDescriptorProto {
  file.dependency = [];
  for (const message of file.messageType)
    for (const field of message.field) {
      field.jsonName = '';
      if (field.typeName) field.typeName = relative(field.typeName);
    }
  for (const method of file.service.flatMap((service) => service.method)) {
    method.inputType = relative(method.inputType);
    method.outputType = relative(method.outputType);
  }
  return file;
}

describe('descriptor closure', () => {
  it('lists the full names a relative type name may mean, innermost scope first', () => {
    const reference = { name: 'StockLevel', scope: 'inventory.v1.GetStockResponse', set: () => undefined };
    assert.deepEqual(candidateNames(reference), [
      'inventory.v1.GetStockResponse.StockLevel',
      'inventory.v1.StockLevel',
      'inventory.StockLevel',
      'StockLevel',
    ]);
    assert.deepEqual(candidateNames({ ...reference, name: '.google.protobuf.Timestamp' }), [
      'google.protobuf.Timestamp',
    ]);
  });

  it('derives protobuf JSON names', () => {
    assert.deepEqual(['reserved_at', 'sku', 'served_by_2', 'a__b'].map(jsonNameOf), [
      'reservedAt',
      'sku',
      'servedBy2',
      'aB',
    ]);
  });

  it('resolves the well-known types from the copies @bufbuild/protobuf ships', () => {
    assert.ok(WELL_KNOWN_FILES.has('google/protobuf/timestamp.proto'));
    const index = typeIndex([]);
    assert.equal(index.get('google.protobuf.Timestamp'), 'google/protobuf/timestamp.proto');
  });

  it('turns what @grpc/reflection sends into descriptors a registry builds, with JSON names', () => {
    const file = asGrpcJsReflectionSendsIt(inventoryFile());
    const stockLevel = typeReferences(file).find((reference) => reference.name === 'StockLevel');
    assert.ok(stockLevel, 'the mangled file has relative names');
    const index = typeIndex([file]);
    assert.equal(resolveReference(stockLevel, index), 'inventory.v1.StockLevel');

    normalizeFiles([file], index);
    assert.deepEqual(file.dependency, ['google/protobuf/timestamp.proto']);
    const registry = createFileRegistry(file, (name) => WELL_KNOWN_FILES.get(name));
    const reservation = registry.getMessage('inventory.v1.Reservation')!;
    const json = {
      reservationId: 'r-1',
      quantity: '9007199254740993',
      reservedAt: '2026-11-30T20:00:00Z',
      status: 'RESERVATION_STATUS_RESERVED',
    };
    const message = fromJson(reservation, json);
    assert.deepEqual(toJson(reservation, fromBinary(reservation, toBinary(reservation, message))), json);
    assert.equal(
      registry.getService('inventory.v1.InventoryService')?.methods.find((m) => m.name === 'WatchStock')
        ?.methodKind,
      'server_streaming',
    );
  });

  it('keeps a file that was complete already as it was', () => {
    const file = inventoryFile();
    const before = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [file] }));
    normalizeFiles([file], typeIndex([file]));
    assert.deepEqual(
      toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [file] })),
      before,
    );
  });
});
