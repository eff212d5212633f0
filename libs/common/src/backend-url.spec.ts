import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BackendUrl, redactUrl, splitBackendUrls } from './backend-url.js';
import { InvalidBackendUrlError } from './common.errors.js';

describe('BackendUrl', { timeout: 10_000 }, () => {
  it('parses scheme, credentials, several hosts, path and query', () => {
    const url = BackendUrl.parse('ETCD://root:p%40ss%3Aw@10.0.0.1:2379,[::1]:2380/chroot?ttl=5&prefix=/x/');
    assert.equal(url.scheme, 'etcd');
    assert.deepEqual(url.credentials, { username: 'root', password: 'p@ss:w' });
    assert.deepEqual(url.hosts, ['10.0.0.1:2379', '[::1]:2380']);
    assert.equal(url.path, '/chroot');
    assert.equal(url.string('prefix'), '/x/');
    assert.equal(url.positiveNumber('ttl'), 5);
  });

  it('takes a user without a password, and no host at all', () => {
    assert.deepEqual(BackendUrl.parse('redis://default@h:6379').credentials, {
      username: 'default',
      password: '',
    });
    const memory = BackendUrl.parse('memory://');
    assert.deepEqual([memory.hosts, memory.path, memory.credentials], [[], '', undefined]);
  });

  it('never shows the password when printed, but keeps it in href', () => {
    const url = BackendUrl.parse('rediss://app:s3cret@redis:6380/0');
    assert.equal(String(url), 'rediss://app:***@redis:6380/0');
    assert.equal(url.href, 'rediss://app:s3cret@redis:6380/0');
    assert.throws(
      () => url.fail('nope'),
      (error: Error) => !error.message.includes('s3cret') && error.message.includes('app:***@'),
    );
  });

  it('refuses what is not a URL, with the password redacted from the message', () => {
    assert.throws(() => BackendUrl.parse('localhost:6379'), InvalidBackendUrlError);
    assert.throws(
      () => BackendUrl.parse('redis://u:hunter2@h:1 x'),
      (error: Error) => error instanceof InvalidBackendUrlError && !error.message.includes('hunter2'),
    );
    assert.throws(() => BackendUrl.parse('redis://u:%E0%A4%A@h'), /percent-encoding/);
    for (const malformed of ['u:hunter2@localhost:6379', 'redis:/u:hunter2@h', 'redis//u:hunter2@h']) {
      assert.throws(
        () => BackendUrl.parse(malformed),
        (error: Error) => !error.message.includes('hunter2') && error.message.includes('***@'),
      );
    }
  });

  it("raises the caller's own error type", () => {
    class MyError extends Error {}
    assert.throws(() => BackendUrl.parse('nope', (message) => new MyError(message)), MyError);
  });

  it('checks numeric and enumerated options', () => {
    const url = BackendUrl.parse('consul://h:8500?wait=0&check=http&n=1.5&ok=2');
    assert.throws(() => url.positiveNumber('wait'), /wait=0 must be a positive number/);
    assert.throws(() => url.positiveNumber('n', { integer: true }), /integer/);
    assert.equal(url.positiveNumber('ok', { integer: true }), 2);
    assert.equal(url.positiveNumber('absent'), undefined);
    assert.throws(() => url.oneOf('check', ['grpc', 'ttl'], 'grpc'), /check=http must be one of grpc, ttl/);
    assert.equal(url.oneOf('mode', ['a', 'b'], 'b'), 'b');
  });

  it('refuses unknown query parameters, naming the known ones', () => {
    const url = BackendUrl.parse('etcd://h:2379?tll=5');
    assert.throws(
      () => url.onlyQuery(['ttl', 'prefix']),
      /unknown option "tll"; this scheme takes ttl, prefix/,
    );
    assert.doesNotThrow(() => BackendUrl.parse('etcd://h?ttl=1').onlyQuery(['ttl']));
  });
});

describe('splitBackendUrls', () => {
  it('splits on a comma that starts a URL, not one between hosts', () => {
    assert.deepEqual(splitBackendUrls('redis://a:1, redis://b:2,rediss://c:3'), [
      'redis://a:1',
      'redis://b:2',
      'rediss://c:3',
    ]);
    assert.deepEqual(splitBackendUrls('etcd://a:2379,b:2379'), ['etcd://a:2379,b:2379']);
    assert.deepEqual(splitBackendUrls(['redis://a', ' redis://b ', '']), ['redis://a', 'redis://b']);
    assert.deepEqual(splitBackendUrls(''), []);
  });
});

describe('redactUrl', () => {
  it('hides credential query values (token, password, secret, api key), not other options', () => {
    assert.equal(
      redactUrl(
        'consul://h:8500?dc=dc1&token=abc-123&wait=5 and x://h?acl_token=t&api_key=k&prefix=/p&password=',
      ),
      'consul://h:8500?dc=dc1&token=***&wait=5 and x://h?acl_token=***&api_key=***&prefix=/p&password=',
    );
    const url = BackendUrl.parse('consul://h:8500?token=s3cret&check=http');
    assert.equal(String(url), 'consul://h:8500?token=***&check=http');
    assert.throws(
      () => url.oneOf('check', ['grpc', 'ttl'], 'grpc'),
      (error: Error) => !error.message.includes('s3cret') && error.message.includes('token=***'),
    );
  });

  it('hides every password in a text and leaves the rest', () => {
    assert.equal(
      redactUrl('failed: redis://u:pw@a:1 and etcd://root:x@b:2 and http://c:2379/ and redis://:only@d'),
      'failed: redis://u:***@a:1 and etcd://root:***@b:2 and http://c:2379/ and redis://:***@d',
    );
  });
});
