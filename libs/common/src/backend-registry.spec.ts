import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BackendRegistry } from './backend-registry.js';
import type { BackendUrl } from './backend-url.js';

class ConfigError extends Error {}

function registry(): BackendRegistry<{ tag: string }, string> {
  const backends = new BackendRegistry<{ tag: string }, string>(
    'lock',
    (message) => new ConfigError(message),
  );
  backends.register('memory', { create: (_urls, { tag }) => `memory:${tag}` });
  backends.register(['redis', 'rediss'], {
    query: ['timeout'],
    urls: { min: 1, max: 9 },
    create: (urls: readonly BackendUrl[]) => urls.map((url) => url.hosts[0]).join('+'),
  });
  return backends;
}

describe('BackendRegistry', { timeout: 10_000 }, () => {
  it('builds the backend of the scheme, passing every URL and the options', async () => {
    const backends = registry();
    assert.equal(await backends.create('memory://', { tag: 't' }), 'memory:t');
    assert.equal(await backends.create('redis://a:1,rediss://b:2?timeout=5', { tag: '' }), 'a:1+b:2');
    assert.equal(await backends.create(['redis://a:1', 'redis://b:2'], { tag: '' }), 'a:1+b:2');
  });

  it('lists the known schemes when a scheme is unknown', async () => {
    await assert.rejects(
      registry().create('zk://h:2181', { tag: '' }),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.includes('unknown lock scheme "zk:"') &&
        error.message.includes('known: memory://, redis://, rediss://'),
    );
  });

  it('refuses lists the scheme does not take, mixed kinds, unknown options, and nothing at all', () => {
    const backends = registry();
    assert.throws(() => backends.resolve('memory://a,memory://b'), /memory:\/\/ takes 1 URL, got 2/);
    assert.throws(() => backends.resolve('redis://a,memory://'), /must all be of one kind/);
    assert.throws(() => backends.resolve('redis://a?timeuot=1'), /unknown option "timeuot"/);
    assert.throws(() => backends.resolve(''), /no lock URL given/);
    assert.throws(
      () => backends.resolve('redis://u:pw@a,memory://'),
      (error: Error) => !error.message.includes('pw@'),
    );
  });

  it('lets a later registration replace a scheme, and refuses a malformed scheme', async () => {
    const backends = registry();
    backends.register('memory', { create: () => 'replaced' });
    assert.equal(await backends.create('memory://', { tag: '' }), 'replaced');
    assert.throws(() => backends.register('Bad_Scheme', { create: () => '' }), ConfigError);
    assert.ok(backends.invalid('quorum too small') instanceof ConfigError, 'factories raise it too');
  });
});
