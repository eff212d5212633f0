// Certificate rotation under load: the server's certificate and key files are replaced (each
// written to a temporary name, then renamed) while callers keep calling on open channels and on
// new ones. No call may fail, and a new connection must present the new certificate within a
// bound derived from refreshIntervalMs.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import {
  Client,
  makeGenericClientConstructor,
  Metadata,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { waitFor, type IssuedCertificate } from '@nestmesh/testing';

import { serverTls, testCertificates, TlsRig, type TestCertificates } from '../test-fixtures/tls-echo.js';
import { channelCredentialsFor } from './tls-credentials.js';

/** Short, so that the test sees several re-reads; the bound below is a generous multiple. */
const REFRESH_INTERVAL_MS = 200;
/** A new connection presents the new certificate within this (a re-read, plus a busy machine). */
const NEW_CERTIFICATE_BOUND_MS = 50 * REFRESH_INTERVAL_MS;
const CALLERS_ON_OPEN_CHANNEL = 3;
const CALLERS_ON_NEW_CHANNELS = 2;

const EchoClient = makeGenericClientConstructor(EchoServiceService, 'echo.v1.EchoService');
type RawEcho = Client & {
  echo(
    request: { message: string; delayMs: number },
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: ServiceError | null) => void,
  ): void;
};

/**
 * One call on a channel of its own with `transport` (credentials made now from options: a
 * connection of its own; credentials made earlier: only their own file watcher sees new files).
 */
async function callOnNewChannel(
  port: number,
  transport: ReturnType<typeof channelCredentialsFor>,
  extraOptions: ChannelOptions = {},
): Promise<void> {
  const { credentials, channelOptions } = transport;
  const client = new EchoClient(`127.0.0.1:${port}`, credentials, {
    ...channelOptions,
    ...extraOptions,
  }) as unknown as RawEcho;
  try {
    await new Promise<void>((resolve, reject) =>
      client.echo(
        { message: 'new', delayMs: 0 },
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  } finally {
    client.close();
  }
}

/** The serial number of the certificate a new TLS connection to `port` is shown. */
function servedSerial(port: number, ca: string, client: IssuedCertificate): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        ca,
        cert: client.cert,
        key: client.key,
        servername: 'echo',
        ALPNProtocols: ['h2'],
      },
      () => {
        resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
        socket.destroy();
      },
    );
    socket.once('error', reject);
  });
}

/** Writes `certificate` over the live files: temporary names then renames, certificate first. */
async function replaceFiles(
  live: { certFile: string; keyFile: string },
  certificate: IssuedCertificate,
  gapMs: number,
) {
  await copyFile(certificate.certFile, `${live.certFile}.tmp`);
  await copyFile(certificate.keyFile, `${live.keyFile}.tmp`);
  await rename(`${live.certFile}.tmp`, live.certFile);
  // A gap longer than the refresh interval: a re-read sees the new certificate with the old key.
  await sleep(gapMs);
  await rename(`${live.keyFile}.tmp`, live.keyFile);
}

describe('gRPC TLS certificate rotation', { timeout: 120_000 }, () => {
  let certificates: TestCertificates;
  const rig = new TlsRig();
  before(async () => {
    certificates = await testCertificates();
  });
  afterEach(() => rig.stop());
  after(() => certificates?.close());

  it('under load: zero failed calls, and new connections present the new certificate', async () => {
    const { ca, server: first, client } = certificates;
    const second = await ca.issue('echo', { dns: ['echo'], ips: ['127.0.0.1'], fileName: 'echo-next' });
    const newSerial = new X509Certificate(second.cert).serialNumber.toUpperCase();
    assert.notEqual(newSerial, new X509Certificate(first.cert).serialNumber.toUpperCase());
    const live = { certFile: join(ca.dir, 'live.crt'), keyFile: join(ca.dir, 'live.key') };
    await copyFile(first.certFile, live.certFile);
    await copyFile(first.keyFile, live.keyFile);

    const server = await rig.server({
      tls: serverTls(ca, live, { clientAuth: 'require', refreshIntervalMs: REFRESH_INTERVAL_MS }),
    });
    const clientTls = { caFile: ca.caFile, certFile: client.certFile, keyFile: client.keyFile };
    const echo = await rig.client(server.port, { tls: clientTls });
    assert.equal(
      await servedSerial(server.port, ca.ca, client),
      new X509Certificate(first.cert).serialNumber.toUpperCase(),
    );

    let running = true;
    const failures: unknown[] = [];
    const counts = { openChannel: 0, newChannels: 0, newChannelsAfterRotation: 0 };
    let rotated = false;
    const loop = async (call: () => Promise<unknown>, onSuccess: () => void) => {
      while (running) {
        try {
          await call();
          onSuccess();
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const callers = [
      ...Array.from({ length: CALLERS_ON_OPEN_CHANNEL }, () =>
        loop(
          () => echo.echo({ message: 'open', delayMs: 0 }),
          () => counts.openChannel++,
        ),
      ),
      ...Array.from({ length: CALLERS_ON_NEW_CHANNELS }, () =>
        loop(
          () => callOnNewChannel(server.port, channelCredentialsFor(clientTls)),
          () => {
            counts.newChannels++;
            if (rotated) counts.newChannelsAfterRotation++;
          },
        ),
      ),
    ];
    try {
      await waitFor(() => counts.newChannels >= 5 && counts.openChannel >= 5, { timeoutMs: 30_000 });
      await replaceFiles(live, second, 2 * REFRESH_INTERVAL_MS);
      rotated = true;
      const rotatedAt = performance.now();
      await waitFor(async () => (await servedSerial(server.port, ca.ca, client)) === newSerial, {
        timeoutMs: NEW_CERTIFICATE_BOUND_MS,
        intervalMs: 50,
        description: 'a new connection to present the new certificate',
      });
      const tookMs = performance.now() - rotatedAt;
      assert.ok(tookMs <= NEW_CERTIFICATE_BOUND_MS, `${tookMs} ms`);
      // Keep the load on until new channels have connected with the new certificate too.
      const after = counts.newChannelsAfterRotation;
      await waitFor(() => counts.newChannelsAfterRotation >= after + 5, { timeoutMs: 30_000 });
    } finally {
      running = false;
      await Promise.all(callers);
    }
    assert.deepEqual(failures.map(String), []);
    assert.ok(counts.openChannel > 0 && counts.newChannels > 0, JSON.stringify(counts));
  });

  it('a client presents its rotated certificate on new connections; its open channel keeps calling', async () => {
    const { ca, server: serverCertificate, client: first } = certificates;
    const second = await ca.issue('order', { dns: ['order'], fileName: 'order-next' });
    const live = { certFile: join(ca.dir, 'client-live.crt'), keyFile: join(ca.dir, 'client-live.key') };
    await copyFile(first.certFile, live.certFile);
    await copyFile(first.keyFile, live.keyFile);
    const server = await rig.server({ tls: serverTls(ca, serverCertificate, { clientAuth: 'require' }) });
    const clientTls = { caFile: ca.caFile, ...live, refreshIntervalMs: REFRESH_INTERVAL_MS };
    const open = await rig.client(server.port, { tls: clientTls });
    await open.echo({ message: 'before', delayMs: 0 });
    assert.equal(server.calls.lastPeerSerial, new X509Certificate(first.cert).serialNumber.toUpperCase());

    // Credentials made before the rotation: only their file watcher can learn of the new files.
    const shared = channelCredentialsFor(clientTls);
    // A channel with a subchannel pool of its own: a new connection every time.
    const callOnce = () => callOnNewChannel(server.port, shared, { 'grpc.use_local_subchannel_pool': 1 });
    await callOnce();
    assert.equal(server.calls.lastPeerSerial, new X509Certificate(first.cert).serialNumber.toUpperCase());
    await replaceFiles(live, second, 0);
    const newSerial = new X509Certificate(second.cert).serialNumber.toUpperCase();
    await waitFor(
      async () => {
        await callOnce();
        return server.calls.lastPeerSerial === newSerial;
      },
      {
        timeoutMs: NEW_CERTIFICATE_BOUND_MS,
        intervalMs: 50,
        description: 'a new connection to present the new client certificate',
      },
    );
    // The open channel's connection was made with the first certificate and is kept.
    await open.echo({ message: 'still open', delayMs: 0 });
    assert.equal(server.calls.lastPeerSerial, new X509Certificate(first.cert).serialNumber.toUpperCase());
  });
});
