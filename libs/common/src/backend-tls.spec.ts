import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { tlsOf } from './backend-tls.js';
import { BackendUrl } from './backend-url.js';
import { BackendAuthError, BackendTlsFileError, InvalidBackendUrlError } from './common.errors.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('tlsOf', { timeout: 10_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestmesh-tls-of-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const ca = file('ca.crt', PEM);
  const cert = file('client.crt', PEM);
  const key = file('client.key', PEM.replaceAll('CERTIFICATE', 'PRIVATE KEY'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined for a plaintext scheme, and {} (the system CAs) for a TLS scheme without files', () => {
    assert.equal(tlsOf(BackendUrl.parse('redis://h:6379')), undefined);
    assert.deepEqual(tlsOf(BackendUrl.parse('rediss://h:6380')), {});
    assert.deepEqual(tlsOf(BackendUrl.parse('consuls://h:8501')), {});
  });

  it('reads the files of ?ca=, ?cert=, ?key= (PEM text) and takes ?servername=', () => {
    const url = BackendUrl.parse(
      `etcds://u:p@h:2379?ca=${encodeURIComponent(ca)}&cert=${cert}&key=${key}&servername=etcd`,
    );
    assert.deepEqual(tlsOf(url), {
      ca: PEM,
      cert: PEM,
      key: PEM.replaceAll('CERTIFICATE', 'PRIVATE KEY'),
      servername: 'etcd',
    });
  });

  it('refuses an unreadable or non-PEM file with BackendTlsFileError naming the parameter and the file, never the password', () => {
    const missing = join(dir, 'nope.crt');
    assert.throws(
      () => tlsOf(BackendUrl.parse(`rediss://app:s3cret@h:6380?ca=${missing}`)),
      (error: unknown) =>
        error instanceof BackendTlsFileError &&
        error.code === 'BACKEND_TLS_FILE' &&
        error.parameter === '?ca' &&
        error.message.includes(`?ca=${missing} cannot be read (ENOENT)`) &&
        !error.message.includes('s3cret'),
    );
    const notPem = file('not-pem.key', 'hello');
    assert.throws(
      () => tlsOf(BackendUrl.parse(`rediss://h:6380?cert=${cert}&key=${notPem}`)),
      /\?key=\S+not-pem\.key is not PEM/,
    );
  });

  it('refuses TLS files on a plaintext scheme, and a certificate without its key', () => {
    assert.throws(() => tlsOf(BackendUrl.parse(`redis://h:6379?ca=${ca}`)), InvalidBackendUrlError);
    assert.throws(
      () => tlsOf(BackendUrl.parse(`rediss://h:6379?cert=${cert}`)),
      /needs both \?cert= and \?key=/,
    );
  });
});

describe('BackendAuthError', { timeout: 10_000 }, () => {
  it('names the backend and the redacted URL, never the password or the token', () => {
    const error = new BackendAuthError(
      'redis',
      'rediss://app:s3cret@127.0.0.1:6380',
      'WRONGPASS invalid username-password pair',
    );
    assert.equal(error.code, 'BACKEND_AUTH');
    assert.equal(error.backend, 'redis');
    assert.equal(
      error.message,
      'redis rediss://app:***@127.0.0.1:6380: authentication failed (WRONGPASS invalid username-password pair)',
    );
    const consul = new BackendAuthError('consul', 'consuls://h:8501?token=abc-123', 'ACL not found');
    assert.doesNotMatch(consul.message, /abc-123/);
  });
});
