import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryRegistry } from '../adapters/memory/memory.registry.js';
import { HAPROXY_SYNC_DEFAULTS } from '../discovery.constants.js';
import { InvalidDiscoveryOptionsError } from '../discovery.errors.js';
import { HAPROXY_NAME, serverNameOf } from './haproxy.backend.js';
import { HaproxyRuntimeApi, parseRuntimeApiAddress } from './haproxy.runtime-api.js';
import { resolveHaproxySyncOptions, type HaproxySyncOptions } from './haproxy-sync.options.js';

const valid: HaproxySyncOptions = {
  discovery: MemoryRegistry.named('haproxy-options'),
  service: 'orders',
  backend: 'orders',
  runtimeApi: '/run/haproxy/admin.sock',
};

describe('haproxy sync: names, addresses and options', { timeout: 10_000 }, () => {
  it('names a server after its instance id, replacing what HAProxy refuses and keeping two ids apart', () => {
    assert.equal(serverNameOf('mesh-', 'inventory-127.0.0.1:50051'), 'mesh-inventory-127.0.0.1:50051');
    const [slash, at] = [serverNameOf('mesh-', 'a/b c'), serverNameOf('mesh-', 'a@b c')];
    assert.match(slash, /^mesh-a_b_c-[0-9a-f]{8}$/);
    assert.match(at, /^mesh-a_b_c-[0-9a-f]{8}$/);
    assert.notEqual(slash, at);
    assert.ok(HAPROXY_NAME.test(slash) && HAPROXY_NAME.test(at));
  });

  it('reads a runtime API address as a unix socket or a TCP host:port', () => {
    assert.deepEqual(parseRuntimeApiAddress('/run/haproxy/admin.sock'), { path: '/run/haproxy/admin.sock' });
    assert.deepEqual(parseRuntimeApiAddress('unix:/tmp/a.sock'), { path: '/tmp/a.sock' });
    assert.deepEqual(parseRuntimeApiAddress('127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
    assert.deepEqual(parseRuntimeApiAddress('[::1]:9999'), { host: '::1', port: 9999 });
    for (const address of ['haproxy', 'host:0', 'host:70000', '::1:9999', 'tcp://host:1']) {
      assert.throws(() => parseRuntimeApiAddress(address), InvalidDiscoveryOptionsError, address);
    }
  });

  it('fills in the documented defaults', () => {
    const resolved = resolveHaproxySyncOptions(valid);
    assert.equal(resolved.serverNamePrefix, HAPROXY_SYNC_DEFAULTS.serverNamePrefix);
    assert.equal(resolved.drainTimeoutMs, 30_000);
    assert.equal(resolved.drainPollIntervalMs, 250);
    assert.equal(resolved.deleteDelayMs, 2_000);
    assert.equal(resolved.resyncIntervalMs, 5_000);
    assert.equal(resolved.commandTimeoutMs, 5_000);
    assert.equal(resolved.check, false);
    assert.equal(resolved.proto, undefined);
  });

  it('refuses options it cannot use with InvalidDiscoveryOptionsError', () => {
    const refused: Partial<HaproxySyncOptions>[] = [
      { service: '' },
      { backend: 'my backend' },
      { backend: 'a;del server x/y' },
      { serverNamePrefix: 'mesh/' },
      { proto: 'h3' as 'h2' },
      { runtimeApi: 'haproxy' },
      { drainPollIntervalMs: 0 },
      { resyncIntervalMs: Number.NaN },
      { commandTimeoutMs: -1 },
      { drainTimeoutMs: -1 },
      { deleteDelayMs: Number.NaN },
    ];
    for (const options of refused) {
      assert.throws(
        () => resolveHaproxySyncOptions({ ...valid, ...options }),
        (error: unknown) =>
          error instanceof InvalidDiscoveryOptionsError && error.message.startsWith('discovery: haproxy'),
        JSON.stringify(options),
      );
    }
  });

  it('sends one command per line only: a newline or a ; would smuggle a second command', async () => {
    const api = new HaproxyRuntimeApi('/nonexistent.sock');
    for (const command of ['show info\nshutdown frontend edge', 'show info; del server a/b']) {
      await assert.rejects(api.send(command), InvalidDiscoveryOptionsError);
    }
  });
});
