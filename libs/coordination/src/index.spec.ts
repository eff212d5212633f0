import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { runAlone } from './test-fixtures/run-alone.js';

/**
 * In a fresh process: imports `entry`, runs `then`, and prints which backend SDKs were loaded.
 * Two witnesses: a module.register() load hook sees every module the ESM loader loads (CommonJS
 * packages imported from ESM included), and require.cache every module CommonJS loaded.
 */
const probe = (entry: string, then = '') => `
import { createRequire, register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const hooks = 'let port; export function initialize(data) { port = data.port; }' +
  ' export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
const loaded = await import('${entry}');
${then}
const urls = [];
for (let received; (received = receiveMessageOnPort(port1)); ) urls.push(received.message);
port1.close();
const cjs = Object.keys(createRequire(import.meta.url).cache);
const sdks = ['ioredis', 'etcd3', 'node-zookeeper-client'].filter((sdk) =>
  [...urls, ...cjs].some((file) => file.includes('/node_modules/' + sdk + '/')));
const sawEntry = urls.some((url) => url.includes('/libs/coordination/dist/'));
console.log(JSON.stringify({ sdks, sawEntry }));
`;

async function sdksLoadedBy(entry: string, then?: string): Promise<string[]> {
  const run = await runAlone(probe(entry, then), { deadlineMs: 60_000 });
  assert.ok(run.exitedAlone && run.code === 0, run.stderr);
  const { sdks, sawEntry } = JSON.parse(run.stdout) as { sdks: string[]; sawEntry: boolean };
  assert.ok(sawEntry, 'the load hook saw the modules of the entry (else it proves nothing)');
  return sdks;
}

describe('importing @nestmesh/coordination loads no backend SDK', { timeout: 240_000 }, () => {
  it('the index, with every scheme registered and URLs checked, loads no SDK (ioredis, etcd3, node-zookeeper-client)', async () => {
    const sdks = await sdksLoadedBy(
      '@nestmesh/coordination',
      `loaded.lockBackends.resolve('redis://a:6379,redis://b:6379,redis://c:6379');
       loaded.electionBackends.resolve('etcd://u:p@a:2379,b:2379');
       loaded.lockBackends.resolve('zk://a:2181,b:2181/chroot?sessionTimeout=5000');
       loaded.electionBackends.resolve('zk://a:2181');`,
    );
    assert.deepEqual(sdks, []);
  });

  it('nor does the testing entry', async () => {
    assert.deepEqual(await sdksLoadedBy('@nestmesh/coordination/testing'), []);
  });

  it('the probe sees an SDK when one is loaded: the adapter subpaths, and a backend built from a URL', async () => {
    assert.deepEqual(await sdksLoadedBy('@nestmesh/coordination/redis'), ['ioredis']);
    assert.deepEqual(await sdksLoadedBy('@nestmesh/coordination/etcd'), ['etcd3']);
    assert.deepEqual(await sdksLoadedBy('@nestmesh/coordination/zookeeper'), ['node-zookeeper-client']);
    const built = await sdksLoadedBy(
      '@nestmesh/coordination',
      `const backend = await loaded.createLockBackend({ url: 'redis://127.0.0.1:9' });
       await backend.close();`,
    );
    assert.deepEqual(built, ['ioredis']);
  });
});
