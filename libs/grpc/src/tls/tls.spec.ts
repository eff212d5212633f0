// TLS and mutual TLS over real TCP: a mesh client calling a MeshGrpcServer by name, with
// certificates from a throwaway CA; refusals are checked on both sides (the client's status,
// and that the handler never ran).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { credentials, ServerCredentials, status as Status } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as Serving,
  HealthService,
} from '@nestmesh/contracts/grpc/health/v1';

import { RpcError } from '../grpc.errors.js';
import { createMeshClient } from '../client/typed-client.js';
import { rawClient, reflectionStream } from '../test-fixtures/raw-clients.js';
import type { Echo } from '../test-fixtures/retry-peers.js';
import { serverTls, testCertificates, TlsRig, type TestCertificates } from '../test-fixtures/tls-echo.js';
import { channelCredentialsFor } from './tls-credentials.js';
import { GRPC_TLS_METADATA } from './transport-security.js';

/** The status a call ended with (OK when it succeeded). */
async function statusOf(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
    return Status.OK;
  } catch (error) {
    if (error instanceof RpcError) return error.status;
    throw error;
  }
}

const echoOnce = (echo: Echo, message = 'hello') => echo.echo({ message, delayMs: 0 });

describe('gRPC TLS and mutual TLS', { timeout: 120_000 }, () => {
  let certificates: TestCertificates;
  const rig = new TlsRig();
  before(async () => {
    certificates = await testCertificates();
  });
  afterEach(() => rig.stop());
  after(() => certificates?.close());

  it('TLS: a mesh client verifying the server against the CA calls it; the instance says grpc_tls=tls', async () => {
    const { ca, server: certificate } = certificates;
    const server = await rig.server({ tls: serverTls(ca, certificate) });
    assert.equal(server.server.instance?.metadata[GRPC_TLS_METADATA], 'tls');
    const echo = await rig.client(server.port, { tls: { caFile: ca.caFile } });
    assert.equal((await echoOnce(echo)).message, 'hello');
    assert.equal(server.calls.count, 1);
    // A plaintext client cannot talk to a TLS server.
    const plain = await rig.client(server.port, { tls: false });
    assert.equal(await statusOf(echoOnce(plain)), Status.UNAVAILABLE);
    assert.equal(server.calls.count, 1);
  });

  it('mutual TLS: a client with a certificate from the CA calls; health and reflection answer over mTLS', async () => {
    const { ca, server: certificate, client } = certificates;
    const server = await rig.server({ tls: serverTls(ca, certificate, { clientAuth: 'require' }) });
    assert.equal(server.server.instance?.metadata[GRPC_TLS_METADATA], 'mtls');
    const tls = { caFile: ca.caFile, certFile: client.certFile, keyFile: client.keyFile };
    const echo = await rig.client(server.port, { tls });
    assert.equal((await echoOnce(echo, 'mutual')).message, 'mutual');

    const transport = channelCredentialsFor(tls);
    const healthChannel = rawClient(server.port, transport);
    const anonymousChannel = rawClient(server.port, channelCredentialsFor({ caFile: ca.caFile }));
    const reflection = reflectionStream(server.port, 'v1', transport);
    try {
      const health = createMeshClient(HealthService, healthChannel, {
        timeoutMs: 10_000,
        streamTimeoutMs: 0,
      });
      assert.equal((await health.check({ service: '' })).status, Serving.SERVING);
      const answer = await reflection.ask({ $case: 'listServices', listServices: '' });
      assert.equal(answer.messageResponse?.$case, 'listServicesResponse');
      const names = answer.messageResponse.listServicesResponse.service.map((service) => service.name);
      assert.ok(names.includes('echo.v1.EchoService'), names.join(', '));
      // Health over TLS without a client certificate: refused like any other call.
      const anonymous = createMeshClient(HealthService, anonymousChannel, {
        timeoutMs: 10_000,
        streamTimeoutMs: 0,
      });
      assert.equal(await statusOf(anonymous.check({ service: '' })), Status.UNAVAILABLE);
    } finally {
      reflection.close();
      healthChannel.close();
      anonymousChannel.close();
    }
  });

  it('mutual TLS refuses a client without a certificate, with one from another CA, and plaintext; the handler never runs', async () => {
    const { ca, server: certificate, foreignClient } = certificates;
    const server = await rig.server({ tls: serverTls(ca, certificate, { clientAuth: 'require' }) });
    const refused = [
      await rig.client(server.port, { tls: { caFile: ca.caFile } }),
      await rig.client(server.port, {
        tls: { caFile: ca.caFile, certFile: foreignClient.certFile, keyFile: foreignClient.keyFile },
      }),
      await rig.client(server.port, { tls: false }),
    ];
    for (const [index, echo] of refused.entries()) {
      assert.equal(await statusOf(echoOnce(echo)), Status.UNAVAILABLE, `client ${index}`);
    }
    assert.equal(server.calls.count, 0);
  });

  it('the client checks the service name in the server certificate; serverName names another', async () => {
    const { ca } = certificates;
    const shared = await ca.issue('mesh.internal', { dns: ['mesh.internal'], fileName: 'shared' });
    const server = await rig.server({ tls: serverTls(ca, shared) });
    const byServiceName = await rig.client(server.port, { tls: { caFile: ca.caFile } });
    assert.equal(await statusOf(echoOnce(byServiceName)), Status.UNAVAILABLE);
    assert.equal(server.calls.count, 0);
    const wrongName = await rig.client(server.port, { tls: { caFile: ca.caFile, serverName: 'other' } });
    assert.equal(await statusOf(echoOnce(wrongName)), Status.UNAVAILABLE);
    const named = await rig.client(server.port, { tls: { caFile: ca.caFile, serverName: 'mesh.internal' } });
    assert.equal((await echoOnce(named)).message, 'hello');
    assert.equal(server.calls.count, 1);
  });

  it('a server certificate from another CA is refused by the client', async () => {
    const { ca, otherCa } = certificates;
    const foreign = await otherCa.issue('echo', { dns: ['echo'], fileName: 'foreign-echo' });
    const server = await rig.server({ tls: serverTls(otherCa, foreign) });
    const echo = await rig.client(server.port, { tls: { caFile: ca.caFile } });
    assert.equal(await statusOf(echoOnce(echo)), Status.UNAVAILABLE);
    assert.equal(server.calls.count, 0);
  });

  it('GRPC_TLS_* are the default of both sides; tls: false means plaintext even when they are set', async () => {
    const { ca, server: certificate } = certificates;
    const variables = {
      GRPC_TLS_CERT: certificate.certFile,
      GRPC_TLS_KEY: certificate.keyFile,
      GRPC_TLS_CA: ca.caFile,
    };
    Object.assign(process.env, variables);
    try {
      const secure = await rig.server({});
      assert.equal(secure.server.instance?.metadata[GRPC_TLS_METADATA], 'tls');
      assert.equal((await echoOnce(await rig.client(secure.port))).message, 'hello');

      const plain = await rig.server({ tls: false });
      assert.equal(plain.server.instance?.metadata[GRPC_TLS_METADATA], undefined);
      assert.equal((await echoOnce(await rig.client(plain.port, { tls: false }))).message, 'hello');
      // The env-configured client speaks TLS, which the plaintext server does not.
      assert.equal(await statusOf(echoOnce(await rig.client(plain.port))), Status.UNAVAILABLE);
    } finally {
      for (const name of Object.keys(variables)) delete process.env[name];
    }
  });

  it('refuses tls together with credentials at startup, on both sides', async () => {
    const { ca, server: certificate } = certificates;
    await assert.rejects(
      rig.server({ tls: serverTls(ca, certificate), credentials: ServerCredentials.createInsecure() }),
      /grpc: option "credentials" and "tls" cannot both be set/,
    );
    await assert.rejects(
      rig.client(1, { tls: { caFile: ca.caFile }, credentials: credentials.createInsecure() }),
      /grpc: option "credentials" and "tls" cannot both be set/,
    );
  });

  it('logs once at startup: plaintext as a warning, TLS with its mode and certificate, never a key', async () => {
    const { ca, server: certificate } = certificates;
    const plainLogs: string[] = [];
    await rig.server({ tls: false }, plainLogs);
    assert.deepEqual(
      plainLogs.filter((line) => /plaintext|TLS/.test(line)),
      [
        'warn echo: gRPC is plaintext (no TLS): set GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA (and GRPC_TLS_CLIENT_AUTH=require for mutual TLS), or the tls option, to turn TLS on',
      ],
    );
    const tlsLogs: string[] = [];
    await rig.server({ tls: serverTls(ca, certificate, { clientAuth: 'require' }) }, tlsLogs);
    const lines = tlsLogs.filter((line) => /TLS/.test(line));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^log echo: gRPC mutual TLS \(client certificates verified against .*ca\.crt\)/);
    assert.match(
      lines[0],
      /subject "CN=echo", SANs DNS:echo, IP Address:127\.0\.0\.1, serial [0-9A-F]+, expires \d{4}-/,
    );
    assert.match(lines[0], /files re-read every 60000 ms/);
    const keyLine = certificate.key.split('\n')[1];
    assert.ok(!tlsLogs.join('\n').includes(keyLine), 'key material in the log');
  });
});
