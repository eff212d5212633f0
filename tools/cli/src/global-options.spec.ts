import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';

import { UsageError } from './cli.errors.js';
import { cliErrorOf } from './error-translation.js';
import { discoveryUrlOf, electionUrlOf, redisUrlOf } from './global-options.js';
import { positiveMilliseconds } from './program.js';

describe('backend URLs', () => {
  it('takes the option over the environment', () => {
    assert.equal(
      discoveryUrlOf({ discovery: 'etcd://a:2379' }, { DISCOVERY_URL: 'etcd://b:2379' }),
      'etcd://a:2379',
    );
    assert.equal(discoveryUrlOf({}, { DISCOVERY_URL: 'consul://c:8500' }), 'consul://c:8500');
    assert.equal(redisUrlOf({}, { REDIS_URL: 'redis://r:6379' }), 'redis://r:6379');
  });

  it('finds the election backend in ELECTION_URL, then REDIS_URL, as the apps do', () => {
    assert.equal(
      electionUrlOf({}, { ELECTION_URL: 'etcd://e:2379', REDIS_URL: 'redis://r' }),
      'etcd://e:2379',
    );
    assert.equal(electionUrlOf({}, { REDIS_URL: 'redis://r:6379' }), 'redis://r:6379');
  });

  it('requires a registry, naming the option and the variable', () => {
    assert.throws(
      () => discoveryUrlOf({}, {}),
      (error: unknown) =>
        error instanceof UsageError &&
        error.exitCode === 2 &&
        /--discovery <url>.*DISCOVERY_URL/.test(error.message),
    );
    assert.throws(() => electionUrlOf({}, {}), /--election <url> or set ELECTION_URL or REDIS_URL/);
    assert.throws(() => redisUrlOf({}, {}), /--redis <url> or set REDIS_URL/);
  });

  it('refuses memory://, which no other process can see', () => {
    for (const read of [
      () => discoveryUrlOf({ discovery: 'memory://' }, {}),
      () => discoveryUrlOf({}, { DISCOVERY_URL: 'memory://' }),
      () => electionUrlOf({ election: 'MEMORY://' }, {}),
      () => redisUrlOf({ redis: 'memory://' }, {}),
    ])
      assert.throws(
        read,
        (error: unknown) =>
          error instanceof UsageError && /memory:\/\/ is a registry inside one process/.test(error.message),
      );
  });
});

describe('errors of the libs', () => {
  const libError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('reports a bad URL with exit 3 and an unreachable backend with exit 4, passwords hidden', () => {
    assert.equal(cliErrorOf(libError('INVALID_OPTIONS', 'discovery: unknown scheme "zk:"')).exitCode, 3);
    const unavailable = cliErrorOf(libError('LOCK_UNAVAILABLE', 'lock: redis://u:secret@h:1 refused'));
    assert.equal(unavailable.exitCode, 4);
    assert.equal(unavailable.message, 'nestmesh: lock: redis://u:***@h:1 refused');
    assert.equal(cliErrorOf(libError('REGISTRY_UNAVAILABLE', 'x')).exitCode, 4);
    assert.equal(cliErrorOf(libError('ELECTION_UNAVAILABLE', 'x')).exitCode, 4);
  });

  it('reports anything else as an unexpected failure (exit 1)', () => {
    const failure = cliErrorOf(new TypeError('boom'));
    assert.equal(failure.code, 'UNEXPECTED');
    assert.equal(failure.exitCode, 1);
  });
});

describe('--deadline', () => {
  it('takes whole milliseconds above zero', () => {
    assert.equal(positiveMilliseconds('1500'), 1500);
    for (const bad of ['0', '-1', '1.5', '2s', '', '1e3'])
      assert.throws(() => positiveMilliseconds(bad), InvalidArgumentError, bad);
  });
});
