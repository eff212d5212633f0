// A bad TLS configuration fails at startup with a GrpcTlsConfigError naming the variable or
// option, never on the first call; the files are real ones from a throwaway CA.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import { GrpcTlsConfigError } from '../grpc.errors.js';
import { serverTls, testCertificates, TlsRig, type TestCertificates } from '../test-fixtures/tls-echo.js';
import { tlsFromEnv } from './tls-env.js';

/** Asserts `action` throws a GrpcTlsConfigError about `setting` whose message matches `reason`. */
function assertTlsError(action: () => unknown, setting: string, reason: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof GrpcTlsConfigError, String(error));
    assert.equal(error.code, 'TLS_CONFIG');
    assert.equal(error.setting, setting);
    assert.match(error.message, /^grpc: tls: /);
    assert.match(error.message, reason);
    return true;
  });
}

describe('TLS configuration', { timeout: 60_000 }, () => {
  let certificates: TestCertificates;
  let notPem: string;
  const rig = new TlsRig();
  before(async () => {
    certificates = await testCertificates();
    notPem = join(certificates.ca.dir, 'not-pem.txt');
    await writeFile(notPem, 'hello\n');
  });
  afterEach(() => rig.stop());
  after(() => certificates?.close());

  const env = (extra: Record<string, string>) => {
    const { ca, server } = certificates;
    return { GRPC_TLS_CA: ca.caFile, GRPC_TLS_CERT: server.certFile, GRPC_TLS_KEY: server.keyFile, ...extra };
  };

  it('no GRPC_TLS_* (or only empty ones): undefined, plaintext', () => {
    assert.equal(tlsFromEnv({}), undefined);
    assert.equal(tlsFromEnv({ GRPC_TLS_CERT: '', GRPC_TLS_CA: '' }), undefined);
  });

  it('reads every variable', () => {
    const { ca, server } = certificates;
    assert.deepEqual(
      tlsFromEnv(
        env({ GRPC_TLS_CLIENT_AUTH: 'require', GRPC_TLS_SERVER_NAME: 'mesh', GRPC_TLS_REFRESH_MS: '5000' }),
      ),
      {
        caFile: ca.caFile,
        certFile: server.certFile,
        keyFile: server.keyFile,
        clientAuth: 'require',
        serverName: 'mesh',
        refreshIntervalMs: 5000,
      },
    );
    assert.deepEqual(tlsFromEnv({ GRPC_TLS_CA: ca.caFile }), { caFile: ca.caFile });
  });

  it('names the variable of what is wrong', () => {
    const { client, server } = certificates;
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_KEY: '' })),
      'GRPC_TLS_KEY',
      /required when GRPC_TLS_CERT/,
    );
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_CERT: '' })),
      'GRPC_TLS_CERT',
      /required when GRPC_TLS_KEY/,
    );
    assertTlsError(() => tlsFromEnv(env({ GRPC_TLS_CA: '' })), 'GRPC_TLS_CA', /is required/);
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_CERT: '/nonexistent/server.crt' })),
      'GRPC_TLS_CERT',
      /\/nonexistent\/server.crt does not exist/,
    );
    assertTlsError(() => tlsFromEnv(env({ GRPC_TLS_CA: notPem })), 'GRPC_TLS_CA', /is not a PEM certificate/);
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_CERT: server.keyFile })),
      'GRPC_TLS_CERT',
      /is not a PEM certificate/,
    );
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_KEY: server.certFile })),
      'GRPC_TLS_KEY',
      /not an unencrypted PEM private key/,
    );
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_KEY: client.keyFile })),
      'GRPC_TLS_KEY',
      /is not the private key of GRPC_TLS_CERT/,
    );
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_CLIENT_AUTH: 'required' })),
      'GRPC_TLS_CLIENT_AUTH',
      /must be "require" or "none", got "required"/,
    );
    assertTlsError(
      () => tlsFromEnv(env({ GRPC_TLS_REFRESH_MS: '1m' })),
      'GRPC_TLS_REFRESH_MS',
      /whole number/,
    );
    assertTlsError(() => tlsFromEnv(env({ GRPC_TLS_REFRESH_MS: '0' })), 'GRPC_TLS_REFRESH_MS', /> 0/);
  });

  it('no key material in any message', () => {
    const { client, server } = certificates;
    try {
      tlsFromEnv(env({ GRPC_TLS_KEY: client.keyFile }));
      assert.fail('no error');
    } catch (error) {
      const text = `${(error as Error).message} ${String((error as Error).cause)}`;
      for (const secret of [client.key, server.key, server.cert]) {
        const body = secret.split('\n')[1];
        assert.ok(!text.includes(body), 'a PEM line leaked into the error');
      }
    }
  });

  it('a server with a bad tls option or environment fails at startup, naming it', async () => {
    const { ca, server, client } = certificates;
    await assert.rejects(
      rig.server({ tls: serverTls(ca, server, { keyFile: client.keyFile }) }),
      (error: unknown) => error instanceof GrpcTlsConfigError && error.setting === 'tls.keyFile',
    );
    await assert.rejects(
      rig.server({ tls: { caFile: ca.caFile } }),
      (error: unknown) => error instanceof GrpcTlsConfigError && error.setting === 'tls.certFile',
    );
    process.env.GRPC_TLS_CA = ca.caFile;
    process.env.GRPC_TLS_CERT = server.certFile;
    try {
      await assert.rejects(
        rig.server({}),
        (error: unknown) => error instanceof GrpcTlsConfigError && error.setting === 'GRPC_TLS_KEY',
      );
      // tls: false wins over a broken environment.
      assert.ok((await rig.server({ tls: false })).port > 0);
    } finally {
      delete process.env.GRPC_TLS_CA;
      delete process.env.GRPC_TLS_CERT;
    }
  });

  it('a mesh client with a bad tls option fails when the app is built, naming it', async () => {
    const { ca, client } = certificates;
    await assert.rejects(
      rig.client(1, { tls: { caFile: ca.caFile, certFile: client.certFile } }),
      (error: unknown) => error instanceof GrpcTlsConfigError && error.setting === 'tls.keyFile',
    );
    await assert.rejects(
      rig.client(1, { tls: { caFile: '/nonexistent/ca.crt' } }),
      (error: unknown) => error instanceof GrpcTlsConfigError && error.setting === 'tls.caFile',
    );
  });
});
