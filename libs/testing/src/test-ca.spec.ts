import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

import { createTestCa, type TestCa } from './test-ca.js';

describe('createTestCa', { timeout: 60_000 }, () => {
  let ca: TestCa;
  let other: TestCa;
  let server: Server;
  let port: number;

  before(async () => {
    [ca, other] = await Promise.all([createTestCa(), createTestCa('another-ca')]);
    const issued = await ca.issue('inventory', { dns: ['inventory'], ips: ['127.0.0.1'] });
    server = createServer({ cert: issued.cert, key: issued.key }, (socket) => socket.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.close();
    await Promise.all([ca?.close(), other?.close()]);
  });

  function handshake(caPem: string, servername: string): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('issues certificates with the SANs asked for, signed by the CA', async () => {
    const issued = await ca.issue('order', { dns: ['order', 'order.mesh'], ips: ['::1'] });
    const certificate = new X509Certificate(issued.cert);
    assert.equal(certificate.subjectAltName, 'DNS:order, DNS:order.mesh, IP Address:0:0:0:0:0:0:0:1');
    assert.ok(certificate.verify(new X509Certificate(ca.ca).publicKey));
    assert.equal(certificate.verify(new X509Certificate(other.ca).publicKey), false);
  });

  it('a peer that trusts the CA completes a handshake; one that trusts another CA is refused', async () => {
    const socket = await handshake(ca.ca, 'inventory');
    assert.equal(socket.authorized, true);
    socket.destroy();
    await assert.rejects(handshake(other.ca, 'inventory'), /self[- ]signed|unable to (verify|get)/i);
  });

  it('the certificate is checked against the name dialled', async () => {
    await assert.rejects(handshake(ca.ca, 'order'), /altnames|does not match/i);
  });
});
