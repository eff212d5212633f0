// Peers outside the mesh client over mutual TLS: Python grpcio (health, as any gRPC tool would
// probe) and the nestmesh-grpc-health container probe, both configured as operators would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { pythonHealthCheck } from '@nestmesh/testing';
import { serverTls, testCertificates, TlsRig, type TestCertificates } from '../test-fixtures/tls-echo.js';

const PROBE = fileURLToPath(new URL('../bin/health-probe.js', import.meta.url));
/** A Python or Node start takes seconds on a loaded machine; this bounds a hung one. */
const RUN_LIMIT_MS = 60_000;

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: RUN_LIMIT_MS, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('mutual TLS with peers outside the mesh client', { timeout: 300_000 }, () => {
  let certificates: TestCertificates;
  let port: number;
  const rig = new TlsRig();
  before(async () => {
    certificates = await testCertificates();
    const { ca, server } = certificates;
    port = (await rig.server({ tls: serverTls(ca, server, { clientAuth: 'require' }) })).port;
  });
  after(async () => {
    await rig.stop();
    await certificates?.close();
  });

  it('Python grpcio with the right client certificate gets SERVING from grpc.health.v1; without one it is refused', async () => {
    const { ca, client, foreignClient } = certificates;
    const target = `127.0.0.1:${port}`;
    const served = await pythonHealthCheck(target, 'echo', ca.caFile, client);
    assert.deepEqual(
      { code: served.code, stdout: served.stdout },
      { code: 0, stdout: 'SERVING\n' },
      served.stderr,
    );
    for (const presented of [undefined, foreignClient]) {
      const refused = await pythonHealthCheck(target, 'echo', ca.caFile, presented);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /^UNAVAILABLE: /m);
    }
  });

  it('nestmesh-grpc-health dials with TLS when GRPC_TLS_CA is set, and names a bad setting', async () => {
    const { ca, client } = certificates;
    const target = `127.0.0.1:${port}`;
    const tlsEnv = { ...process.env, GRPC_TLS_CA: ca.caFile, GRPC_TLS_CERT: client.certFile };
    const withKey = { ...tlsEnv, GRPC_TLS_KEY: client.keyFile };
    // Dialled by IP, checked against the certificate's IP SAN (Node warns on stderr: DEP0123).
    const byAddress = await run(process.execPath, [PROBE, target], withKey);
    assert.equal(byAddress.code, 0, byAddress.stderr);
    assert.equal(byAddress.stdout, `${target}: SERVING\n`);
    const byName = await run(process.execPath, [PROBE, target], { ...withKey, GRPC_TLS_SERVER_NAME: 'echo' });
    assert.deepEqual(byName, { code: 0, stdout: `${target}: SERVING\n`, stderr: '' });
    const plaintext = await run(process.execPath, [PROBE, target]);
    assert.equal(plaintext.code, 2, plaintext.stderr);
    const broken = await run(process.execPath, [PROBE, target], tlsEnv);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /GRPC_TLS_KEY is required when GRPC_TLS_CERT is set/);
  });
});
