import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { InventoryServiceService, type InventoryServiceServer } from '@nestmesh/contracts/inventory/v1';
import { createTestCa, spawnOwned, type IssuedCertificate, type TestCa } from '@nestmesh/testing';

import { GrpcStockClient } from './grpc-stock.caller.js';

const TIMEOUT_MS = 10_000;

/** GetStock only (the rest answer UNIMPLEMENTED), over mutual TLS with `certificate`. */
async function startMutualTlsInventory(ca: TestCa, certificate: IssuedCertificate) {
  const server = new Server();
  const getStock: InventoryServiceServer['getStock'] = (call, callback) =>
    callback(null, {
      stock: { sku: call.request.sku, available: 7n, reserved: 0n, version: 1n, updatedAt: new Date() },
      servedBy: 'tls-inventory',
    });
  server.addService(InventoryServiceService, { getStock });
  const credentials = ServerCredentials.createSsl(
    Buffer.from(ca.ca),
    [{ cert_chain: Buffer.from(certificate.cert), private_key: Buffer.from(certificate.key) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, target: `127.0.0.1:${port}` };
}

describe('GrpcStockClient over TLS (GRPC_TLS_*)', { timeout: 60_000 }, () => {
  let ca: TestCa;
  let inventory: { server: Server; target: string };
  let loadgenCertificate: IssuedCertificate;

  before(async () => {
    ca = await createTestCa();
    loadgenCertificate = await ca.issue('loadgen');
    inventory = await startMutualTlsInventory(ca, await ca.issue('inventory'));
  });
  after(async () => {
    inventory?.server.forceShutdown();
    await ca?.close();
  });

  const read = async (tls?: ConstructorParameters<typeof GrpcStockClient>[3]) => {
    const client = new GrpcStockClient(inventory.target, TIMEOUT_MS, false, tls);
    try {
      return await client.readStock('A-1', new AbortController().signal);
    } finally {
      client.close();
    }
  };

  it('reads stock over mutual TLS, checking the name "inventory" by default', async () => {
    const tls = {
      caFile: ca.caFile,
      certFile: loadgenCertificate.certFile,
      keyFile: loadgenCertificate.keyFile,
    };
    assert.deepEqual(await read(tls), { result: 'ok' });
  });

  it('fails (UNAVAILABLE) in plaintext, without a client certificate, or checking another name', async () => {
    const tls = {
      caFile: ca.caFile,
      certFile: loadgenCertificate.certFile,
      keyFile: loadgenCertificate.keyFile,
    };
    for (const settings of [undefined, { caFile: ca.caFile }, { ...tls, serverName: 'order' }])
      assert.deepEqual(
        await read(settings),
        { result: 'failed', reason: 'UNAVAILABLE' },
        JSON.stringify(settings),
      );
  });
});

describe('loadgen with GRPC_TLS_* that cannot work', { timeout: 60_000 }, () => {
  it('exits 1 before sending anything, naming the variable', async () => {
    const main = fileURLToPath(new URL('../main.js', import.meta.url));
    const child = spawnOwned(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        ORDER_URL: 'http://127.0.0.1:1',
        STOCK_GRPC_TARGET: '127.0.0.1:1',
        GRPC_TLS_CA: '/no/such/ca.crt',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 1, output);
    assert.match(output, /^loadgen: .*GRPC_TLS_CA file \/no\/such\/ca\.crt does not exist/m);
    assert.doesNotMatch(output, /loadgen ready/);
  });
});
