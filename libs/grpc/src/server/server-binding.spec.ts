import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { serverBindingFromEnv } from './server-binding.js';

describe('serverBindingFromEnv (HOST, ADVERTISE_HOST)', { timeout: 10_000 }, () => {
  it('binds 127.0.0.1 and advertises nothing of its own by default', () => {
    assert.deepEqual(serverBindingFromEnv({}), { host: '127.0.0.1' });
    assert.deepEqual(serverBindingFromEnv({ HOST: '', ADVERTISE_HOST: '' }), { host: '127.0.0.1' });
  });

  it('binds HOST and advertises ADVERTISE_HOST: a container on its network', () => {
    assert.deepEqual(serverBindingFromEnv({ HOST: '0.0.0.0', ADVERTISE_HOST: 'inventory-2' }), {
      host: '0.0.0.0',
      advertiseAddress: 'inventory-2',
    });
    assert.deepEqual(serverBindingFromEnv({ HOST: '::', ADVERTISE_HOST: 'fd00::7' }), {
      host: '::',
      advertiseAddress: 'fd00::7',
    });
    assert.deepEqual(serverBindingFromEnv({ ADVERTISE_HOST: 'svc.mesh.internal' }), {
      host: '127.0.0.1',
      advertiseAddress: 'svc.mesh.internal',
    });
  });

  it('refuses what is not a host, naming the variable', () => {
    for (const [name, value] of [
      ['HOST', 'http://0.0.0.0'],
      ['HOST', '0.0.0.0:50051'],
      ['ADVERTISE_HOST', 'inventory 2'],
      ['ADVERTISE_HOST', 'inventory-2:50051'],
      ['ADVERTISE_HOST', '0.0.0.0'],
      ['ADVERTISE_HOST', '-leading-dash'],
    ] as const) {
      assert.throws(
        () => serverBindingFromEnv({ [name]: value }),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === name,
        `${name}=${value}`,
      );
    }
  });
});
