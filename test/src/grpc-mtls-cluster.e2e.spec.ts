// Mutual TLS on a running cluster: every app (order, inventories) serves and dials gRPC with its
// own certificate (SAN = its service name) from one throwaway CA and requires client
// certificates (GRPC_TLS_CLIENT_AUTH=require). Order → inventory calls work; a client without a
// certificate, with one from another CA, or in plaintext is refused; Python grpcio gets SERVING
// from health with the right one (the CLI over TLS: cli-tls.e2e.spec.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { discoveryBackends } from '@nestmesh/discovery';
import { pythonHealthCheck, type IssuedCertificate } from '@nestmesh/testing';

import type { MeshCluster } from './fixtures/mesh-cluster.js';
import { startMutualTlsCluster, type MutualTlsCluster } from './support/mutual-tls-cluster.js';
import { grpcJsHealthCheck } from './support/tls-health-clients.js';

interface OrderBody {
  id: string;
  items: { sku: string; quantity: number; reservedBy: string }[];
}

describe('mutual TLS on a running cluster', { timeout: 240_000 }, () => {
  let mesh: MutualTlsCluster;
  let cluster: MeshCluster;
  let inventory: string;

  before(async () => {
    mesh = await startMutualTlsCluster();
    cluster = mesh.cluster;
    inventory = cluster.inventories[0].grpc;
  });
  after(() => mesh?.stop());

  it('orders placed over HTTP succeed: order reserves on the inventories over mutual TLS', async () => {
    const stockUrl = `${cluster.order!.httpUrl}/stock/A-1`;
    const before = (await (await fetch(stockUrl)).json()) as { available: number };
    for (let index = 0; index < 4; index++) {
      const response = await fetch(`${cluster.order!.httpUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
      });
      const body = (await response.json()) as OrderBody;
      assert.equal(response.status, 201, JSON.stringify(body));
      const ids = cluster.inventories.map((each) => each.id);
      assert.ok(
        ids.includes(body.items[0].reservedBy),
        `${body.items[0].reservedBy} is one of ${ids.join(', ')}`,
      );
    }
    const after = (await (await fetch(stockUrl)).json()) as { available: number };
    assert.equal(after.available, before.available - 4);
  });

  it("the order app's readiness stays up: /readyz is 200 with gRPC over mutual TLS", async () => {
    const response = await fetch(`${cluster.order!.httpUrl}/readyz`);
    assert.equal(response.status, 200, await response.text());
  });

  it('the inventories register grpc_tls=mtls, so operator tools know how to dial them', async () => {
    const registry = await discoveryBackends.create(cluster.discoveryUrl);
    try {
      const instances = await registry.instances('inventory');
      assert.equal(instances.length, 2);
      for (const instance of instances) assert.equal(instance.metadata.grpc_tls, 'mtls', instance.id);
    } finally {
      await registry.close?.();
    }
  });

  describe('an inventory instance, dialled by grpc-js', () => {
    const name = { 'grpc.ssl_target_name_override': 'inventory' };
    const tls = (certificate?: IssuedCertificate) =>
      credentials.createSsl(
        Buffer.from(mesh.ca.ca),
        certificate ? Buffer.from(certificate.key) : null,
        certificate ? Buffer.from(certificate.cert) : null,
      );

    it('answers SERVING to a client presenting a certificate of the cluster CA', async () => {
      assert.deepEqual(await grpcJsHealthCheck(inventory, tls(mesh.operator), name), { serving: 'SERVING' });
    });

    it('refuses a client without a certificate', async () => {
      const outcome = await grpcJsHealthCheck(inventory, tls(), name);
      assert.equal('code' in outcome && outcome.code, 'UNAVAILABLE', JSON.stringify(outcome));
      assert.match((outcome as { details: string }).details, /certificate required/);
    });

    it('refuses a client certificate issued by another CA', async () => {
      const outcome = await grpcJsHealthCheck(inventory, tls(mesh.foreign), name);
      assert.equal('code' in outcome && outcome.code, 'UNAVAILABLE', JSON.stringify(outcome));
    });

    it('refuses a plaintext client', async () => {
      const outcome = await grpcJsHealthCheck(inventory, credentials.createInsecure());
      assert.equal('code' in outcome && outcome.code, 'UNAVAILABLE', JSON.stringify(outcome));
    });
  });

  describe('an inventory instance, dialled by Python grpcio', () => {
    it('answers SERVING to grpcio presenting the right client certificate', async () => {
      const run = await pythonHealthCheck(inventory, 'inventory', mesh.ca.caFile, mesh.operator);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'SERVING');
    });

    it('refuses grpcio without a client certificate', async () => {
      const run = await pythonHealthCheck(inventory, 'inventory', mesh.ca.caFile);
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, /UNAVAILABLE/);
    });
  });
});
