import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError, BackendTlsFileError } from '@nestmesh/common';
import { createTestCa, type TestCa } from '@nestmesh/testing';

import { createDiscoveryBackend, type DiscoveryBackend } from '../../discovery-backend.js';
import { FakeConsulAgent, testInstance } from './fake-consul-agent.fixture.js';

const TOKEN = 'app-acl-token-1234';
const CONSUL_VARIABLES = [
  'CONSUL_HTTP_SSL',
  'CONSUL_CACERT',
  'CONSUL_HTTP_TOKEN',
  'CONSUL_CLIENT_CERT',
  'CONSUL_CLIENT_KEY',
];

// Consul cannot run here: this is the stand-in agent (fake-consul-agent.fixture), serving HTTPS
// with a certificate from a test CA and refusing requests as Consul's ACLs do.
describe('consuls:// with an ACL token (stand-in Consul agent: HTTPS, ACLs on)', { timeout: 60_000 }, () => {
  let ca: TestCa;
  let agent: FakeConsulAgent;
  let host: string;
  const saved = Object.fromEntries(CONSUL_VARIABLES.map((name) => [name, process.env[name]]));
  before(async () => {
    for (const name of CONSUL_VARIABLES) delete process.env[name];
    ca = await createTestCa();
    const { cert, key } = await ca.issue('consul-agent', { dns: ['localhost'], ips: ['127.0.0.1'] });
    agent = new FakeConsulAgent({ tokens: [TOKEN], tls: { cert, key } });
    host = await agent.start();
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await agent?.stop();
    await ca?.close();
  });

  async function backend(url: string): Promise<DiscoveryBackend> {
    return createDiscoveryBackend({ url });
  }

  it('registers over HTTPS with the token; a TLS gRPC server gets a TLS health check named after its service', async (t) => {
    t.diagnostic(`the stand-in Consul agent ran on https://${host}`);
    const registry = await backend(`consuls://${host}?ca=${ca.caFile}&token=${TOKEN}`);
    t.after(() => registry.close?.());
    const secured = { ...testInstance('inventory', 7101), metadata: { grpc_tls: 'mtls' } };
    const plain = testInstance('inventory', 7102);
    await registry.register(secured);
    await registry.register(plain);
    const [register] = agent.requestsTo('/v1/agent/service/register');
    assert.equal(register.headers['x-consul-token'], TOKEN);
    const checkOf = (id: string) => agent.services.get(id)?.body.Check as Record<string, unknown>;
    assert.equal(checkOf(secured.id).GRPCUseTLS, true);
    assert.equal(checkOf(secured.id).TLSServerName, 'inventory');
    assert.equal(checkOf(plain.id).GRPCUseTLS, undefined, 'a plaintext server keeps a plaintext check');
    assert.deepEqual(await registry.services?.(), ['inventory']);
  });

  it('an unknown token: BackendAuthError naming consul at startup, the token redacted', async () => {
    await assert.rejects(
      backend(`consuls://${host}?ca=${ca.caFile}&token=wrong-${TOKEN}`),
      (error: unknown) => {
        assert.ok(error instanceof BackendAuthError, String(error));
        assert.equal(error.backend, 'consul');
        assert.match(
          error.message,
          /^consul consuls:\/\/127\.0\.0\.1:\d+\?ca=\S+&token=\*\*\*: authentication failed \(ACL not found\)$/,
        );
        assert.ok(!error.message.includes(TOKEN), error.message);
        return true;
      },
    );
  });

  it('no token: reads pass, a registration is refused with BackendAuthError (Permission denied)', async (t) => {
    const registry = await backend(`consuls://${host}?ca=${ca.caFile}`);
    t.after(() => registry.close?.());
    await assert.rejects(registry.register(testInstance('anonymous', 7103)), (error: unknown) => {
      assert.ok(error instanceof BackendAuthError, String(error));
      assert.match(error.message, /authentication failed \(Permission denied\)/);
      return true;
    });
  });

  it("Consul's own variables: CONSUL_HTTP_SSL=true, CONSUL_CACERT and CONSUL_HTTP_TOKEN on a consul:// URL", async (t) => {
    Object.assign(process.env, {
      CONSUL_HTTP_SSL: 'true',
      CONSUL_CACERT: ca.caFile,
      CONSUL_HTTP_TOKEN: TOKEN,
    });
    t.after(() => {
      for (const name of CONSUL_VARIABLES) delete process.env[name];
    });
    const registry = await backend(`consul://${host}`);
    t.after(() => registry.close?.());
    await registry.register(testInstance('from-env', 7104));
    assert.ok(agent.services.has('from-env-7104'));
  });

  it('an unreadable CA file: BackendTlsFileError naming ?ca= or CONSUL_CACERT', async (t) => {
    const missing = join(ca.dir, 'missing.crt');
    await assert.rejects(backend(`consuls://${host}?ca=${missing}&token=${TOKEN}`), (error: unknown) => {
      assert.ok(
        error instanceof BackendTlsFileError && error.message.includes(`?ca=${missing} cannot be read`),
      );
      assert.ok(!error.message.includes(TOKEN), error.message);
      return true;
    });
    process.env.CONSUL_CACERT = missing;
    t.after(() => delete process.env.CONSUL_CACERT);
    await assert.rejects(
      backend(`consuls://${host}`),
      (error: unknown) => error instanceof BackendTlsFileError && error.parameter === 'CONSUL_CACERT',
    );
  });
});
