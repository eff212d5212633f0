// The nestmesh CLI on a cluster that requires mutual TLS: `health` and `call` dial the
// instances with the client certificate given by flags or by the GRPC_TLS_* variables, and
// say what to set (exit 9) when they lack it, or when the handshake fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { runCli, type CliRun } from './support/cli-process.js';
import { startMutualTlsCluster, type MutualTlsCluster } from './support/mutual-tls-cluster.js';

const GET_STOCK = 'inventory.v1.InventoryService/GetStock';
const TLS_EXIT_CODE = 9;

describe('nestmesh CLI over mutual TLS', { timeout: 240_000 }, () => {
  let mesh: MutualTlsCluster;
  let env: Record<string, string>;
  /** The operator's settings as flags, and as the variables. */
  let flags: string[];
  let variables: Record<string, string>;

  before(async () => {
    mesh = await startMutualTlsCluster();
    env = { DISCOVERY_URL: mesh.cluster.discoveryUrl };
    const { ca, operator } = mesh;
    flags = ['--tls-ca', ca.caFile, '--tls-cert', operator.certFile, '--tls-key', operator.keyFile];
    variables = { GRPC_TLS_CA: ca.caFile, GRPC_TLS_CERT: operator.certFile, GRPC_TLS_KEY: operator.keyFile };
  });
  after(() => mesh?.stop());

  const assertHealthy = (run: CliRun) => {
    assert.equal(run.code, 0, run.stderr);
    const serving = run.stdout.split('\n').filter((line) => / SERVING /.test(`${line} `));
    // two inventories, each checked as a whole and for inventory.v1.InventoryService
    assert.equal(serving.length, 4, run.stdout);
  };
  const assertStock = (run: CliRun) => {
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { stock: { sku: string } }).stock.sku, 'A-1');
  };

  it('health: every inventory SERVING with --tls-ca/--tls-cert/--tls-key, the name checked being the service name', async () => {
    assertHealthy(await runCli(['health', 'inventory', ...flags], { env }));
  });

  it('health: the same with the GRPC_TLS_* variables', async () => {
    assertHealthy(await runCli(['health', 'inventory'], { env: { ...env, ...variables } }));
  });

  it('call: GetStock with the flags, and with the variables', async () => {
    assertStock(await runCli(['call', 'inventory', GET_STOCK, '{"sku":"A-1"}', ...flags], { env }));
    assertStock(
      await runCli(['call', 'inventory', GET_STOCK, '{"sku":"A-1"}'], { env: { ...env, ...variables } }),
    );
  });

  it('without TLS settings (or with --plaintext): exit 9 naming the flags and variables to set', async () => {
    const runs = [
      await runCli(['health', 'inventory'], { env }),
      await runCli(['call', 'inventory', GET_STOCK, '{"sku":"A-1"}'], { env }),
      await runCli(['call', '--plaintext', 'inventory', GET_STOCK, '{"sku":"A-1"}'], {
        env: { ...env, ...variables },
      }),
    ];
    for (const run of runs) {
      assert.equal(run.code, TLS_EXIT_CODE, run.stderr);
      assert.match(
        run.stderr,
        /^nestmesh: instance inventory-\S+ of "inventory" serves gRPC over mutual TLS \(registered grpc_tls=mtls\)/,
      );
      assert.match(
        run.stderr,
        /pass --tls-ca <CA file> --tls-cert <file> --tls-key <file> or set GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY/,
      );
    }
  });

  it('a CA but no client certificate: exit 9 asking for --tls-cert and --tls-key', async () => {
    const run = await runCli(['health', 'inventory', '--tls-ca', mesh.ca.caFile], { env });
    assert.equal(run.code, TLS_EXIT_CODE, run.stderr);
    assert.match(
      run.stderr,
      /needs a client certificate: pass --tls-cert <file> --tls-key <file> or set GRPC_TLS_CERT/,
    );
  });

  it('a client certificate of another CA: exit 9, the server refused it', async () => {
    const { foreign } = mesh;
    const args = ['--tls-ca', mesh.ca.caFile, '--tls-cert', foreign.certFile, '--tls-key', foreign.keyFile];
    for (const command of [
      ['health', 'inventory'],
      ['call', 'inventory', GET_STOCK, '{"sku":"A-1"}'],
    ]) {
      const run = await runCli([...command, ...args], { env });
      assert.equal(run.code, TLS_EXIT_CODE, `${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /refuse[sd]? (?:the|a) client certificate/, run.stderr);
      assert.ok(run.stderr.includes(foreign.certFile), run.stderr);
    }
  });

  it('a server certificate the CA does not trust, or without the name checked: exit 9 saying which', async () => {
    const untrusted = await runCli(
      ['call', 'inventory', GET_STOCK, '{"sku":"A-1"}', ...flags, '--tls-ca', mesh.otherCa.caFile],
      { env },
    );
    assert.equal(untrusted.code, TLS_EXIT_CODE, untrusted.stderr);
    assert.ok(
      untrusted.stderr.includes(`is not trusted by the CA bundle ${mesh.otherCa.caFile}`),
      untrusted.stderr,
    );
    const misnamed = await runCli(['health', 'inventory', ...flags, '--tls-server-name', 'order'], { env });
    assert.equal(misnamed.code, TLS_EXIT_CODE, misnamed.stderr);
    assert.match(misnamed.stderr, /does not carry the name "order" that was checked .*--tls-server-name/);
  });

  it('settings that cannot work are a usage error naming the flag: a certificate without its key', async () => {
    const run = await runCli(
      ['health', 'inventory', '--tls-ca', mesh.ca.caFile, '--tls-cert', mesh.operator.certFile],
      {
        env,
      },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--tls-(?:cert|key) \(GRPC_TLS_(?:CERT|KEY)\)/);
  });
});
