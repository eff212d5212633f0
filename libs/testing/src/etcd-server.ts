import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { enableEtcdAuth, etcdHealthy, type EtcdEndpoint } from './etcd-gateway.js';
import { freePort } from './free-port.js';
import { serverProcess } from './server-process.js';
import type { TestCa } from './test-ca.js';

export interface StartEtcdOptions {
  /** Its own process group, so that a terminal's Ctrl-C does not reach it. Default false. */
  detached?: boolean;
  /** Clients speak TLS (https client URL), with a certificate for 127.0.0.1 issued by `ca`. */
  tls?: { ca: TestCa };
  /**
   * Auth on: `user` (granted the root role) with `password`; etcd also needs a `root` user,
   * which gets the same password.
   */
  auth?: { user: string; password: string };
}

export interface EtcdServer {
  /** `http://127.0.0.1:<port>` (`https://` with TLS), the client URL. */
  readonly endpoint: string;
  /**
   * The backend URL for NestMesh: `etcd://127.0.0.1:<port>`, with TLS `etcds://…?ca=<CA file>`,
   * with auth `etcd[s]://<user>:<password>@…` (percent-encoded).
   */
  readonly url: string;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits for the process to end; `start()` brings it back. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports; `wipe: true` starts from empty data (every lease lost). */
  start(options?: { wipe?: boolean }): Promise<void>;
}

/**
 * A throwaway single-member etcd (Debian `etcd-server`) on free loopback ports with its data in
 * a temporary folder. Resolves once it answers /health (and, with `auth`, once auth is on).
 */
export async function startEtcd({ detached = false, tls, auth }: StartEtcdOptions = {}): Promise<EtcdServer> {
  requireBinary('etcd', 'etcd-server');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const certificate = tls
    ? await tls.ca.issue(`etcd-${clientPort}`, { dns: ['localhost'], ips: ['127.0.0.1'] })
    : undefined;
  const serving: EtcdEndpoint = { endpoint, ca: tls?.ca.ca };
  const tlsArguments = certificate
    ? ['--cert-file', certificate.certFile, '--key-file', certificate.keyFile]
    : [];
  const peer = `http://127.0.0.1:${peerPort}`;
  let dataDir = mkdtempSync(join(tmpdir(), 'nestmesh-etcd-'));

  const server = serverProcess({
    description: `etcd on ${endpoint}`,
    spawn: () =>
      spawnOwned(
        'etcd',
        [
          '--name',
          'test',
          '--data-dir',
          dataDir,
          '--listen-client-urls',
          endpoint,
          '--advertise-client-urls',
          endpoint,
          '--listen-peer-urls',
          peer,
          '--initial-advertise-peer-urls',
          peer,
          '--initial-cluster',
          `test=${peer}`,
          '--log-level',
          'error',
          ...tlsArguments,
        ],
        // detached: its own process group, so a terminal's Ctrl-C does not kill it before the
        // apps that use it have deregistered.
        { stdio: ['ignore', 'pipe', 'pipe'], detached },
      ),
    ready: () => etcdHealthy(serving),
    // A bound for a loaded machine; it is healthy within a second on a quiet one.
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  const { kill } = server;
  let authEnabled = false;
  const start = async ({ wipe = false }: { wipe?: boolean } = {}) => {
    if (wipe) {
      rmSync(dataDir, { recursive: true, force: true });
      dataDir = mkdtempSync(join(tmpdir(), 'nestmesh-etcd-'));
      authEnabled = false;
    }
    await server.start();
    // Auth lives in the data: once per data folder.
    if (auth && !authEnabled) await enableEtcdAuth(serving, auth);
    authEnabled = true;
  };

  await start();
  const userInfo = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
  const query = tls ? `?ca=${encodeURIComponent(tls.ca.caFile)}` : '';
  return {
    endpoint,
    url: `${tls ? 'etcds' : 'etcd'}://${userInfo}127.0.0.1:${clientPort}${query}`,
    get pid() {
      return server.child?.pid;
    },
    start,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
