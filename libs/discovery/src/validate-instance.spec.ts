import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidServiceInstanceError } from './discovery.errors.js';
import type { ServiceInstance } from './service-instance.js';
import { validateInstance } from './validate-instance.js';

const instance: ServiceInstance = {
  id: 'inventory-1',
  name: 'inventory',
  address: '10.0.0.7',
  port: 50051,
  tags: ['v1'],
  metadata: { http_port: '3000', zone: 'eu-west-1a', 'build-id': 'abc' },
};

function refused(changes: Partial<ServiceInstance>, pattern: RegExp): void {
  assert.throws(
    () => validateInstance({ ...instance, ...changes }),
    (error: unknown) => error instanceof InvalidServiceInstanceError && pattern.test(error.message),
  );
}

describe('validateInstance', { timeout: 10_000 }, () => {
  it('accepts an instance every registry can hold', () => {
    assert.doesNotThrow(() => validateInstance(instance));
    assert.doesNotThrow(() => validateInstance({ ...instance, metadata: {} }));
  });

  it('refuses names, addresses and ports no registry could route to, naming the field', () => {
    refused({ id: '' }, /id is empty/);
    refused({ name: 'inventory/v1' }, /not a valid service name/);
    refused({ address: '' }, /address is empty/);
    refused({ port: 0 }, /port 0 is not in 1\.\.65535/);
    refused({ port: 70_000 }, /port 70000/);
  });

  it('refuses metadata keys Consul would refuse, on every backend', () => {
    // Consul answers 400 "Key contains invalid characters" for a dot: an app must not find out
    // only when it first meets Consul.
    refused({ metadata: { 'http.port': '3000' } }, /metadata key "http\.port" is not portable/);
    refused({ metadata: { '': 'x' } }, /metadata key "" is not portable/);
    refused({ metadata: { 'consul-version': '1' } }, /consul-version is reserved/);
    // The registry's own entry (Consul keeps the registration time in it).
    refused({ metadata: { nestmesh_registered_at: 'mine' } }, /nestmesh_registered_at is reserved/);
    refused({ metadata: { ['k'.repeat(129)]: 'x' } }, /is not portable/);
  });

  it('refuses oversized metadata values and more pairs than Consul leaves an app', () => {
    refused({ metadata: { zone: 'x'.repeat(513) } }, /metadata zone must be a string of at most 512/);
    const pairs = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']));
    // Consul holds 64 pairs and the registry takes one of them.
    refused({ metadata: pairs(64) }, /64 metadata entries, at most 63/);
    assert.doesNotThrow(() => validateInstance({ ...instance, metadata: pairs(63) }));
  });
});
