import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { serverProcess } from './server-process.js';
import type { IssuedCertificate, TestCa } from './test-ca.js';

export interface StartRedisOptions {
  /** Keep every acknowledged write across a restart (appendfsync always). Default false. */
  persistent?: boolean;
  /**
   * Clients must authenticate: without `user`, the default user's password (`requirepass`);
   * with it, the password of that ACL user.
   */
  password?: string;
  /** An ACL user (all keys, channels and commands) with `password`; the default user is off. */
  user?: string;
  /**
   * TLS only (the plaintext port is off), with a certificate for 127.0.0.1 issued by `ca`;
   * `clientAuth`: clients must present a certificate from `ca` too (`--tls-auth-clients yes`).
   */
  tls?: { ca: TestCa; clientAuth?: boolean };
}

export interface RedisServer {
  /**
   * `redis://127.0.0.1:<port>`; with TLS `rediss://…?ca=<CA file>`; with a password
   * `redis[s]://[user]:<password>@…` (percent-encoded).
   */
  readonly url: string;
  readonly port: number;
  /** Sends `signal` (default SIGKILL) and waits for the exit; `start()` brings it back, empty. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** The server's process id while it runs (for pinning it to a CPU in benchmarks). */
  readonly pid: number | undefined;
  /** SIGSTOP: it keeps its connections open and answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it for good. */
  stop(): Promise<void>;
}

interface PingTarget {
  port: number;
  /** The CA that verifies the server, when it speaks TLS. */
  ca?: string;
  /** `AUTH` arguments sent before PING. */
  auth?: readonly string[];
  /** A client certificate and key (PEM), for a server that asks for one. */
  client?: { cert: string; key: string };
}

/** Whether Redis answers PING (after AUTH when given), over TLS when `ca` is given. */
export async function ping({ port, ca, auth, client }: PingTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const commands = (auth ? [command(['AUTH', ...auth])] : []).concat(command(['PING'])).join('');
    const onConnect = () => socket.write(commands);
    const socket: Socket =
      ca === undefined
        ? connect({ host: '127.0.0.1', port }, onConnect)
        : connectTls({ host: '127.0.0.1', port, ca, ...client }, onConnect);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      answer += data;
      // One reply per command sent; an error reply (-WRONGPASS, -LOADING) means not ready.
      if (answer.includes('+PONG') || answer.startsWith('-')) {
        socket.destroy();
        resolve(answer.includes('+PONG') && !answer.startsWith('-'));
      }
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** A command in RESP (bulk strings), so that a password is sent as it is, spaces and all. */
function command(parts: readonly string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/** The redis-server arguments for authentication: requirepass, or an ACL user and no default user. */
function authArguments({ password, user }: StartRedisOptions): string[] {
  if (user === undefined) return password === undefined ? [] : ['--requirepass', password];
  if (password === undefined) throw new Error('startRedis: an ACL user needs a password');
  return ['--user', user, 'on', `>${password}`, '~*', '&*', '+@all', '--user', 'default', 'off'];
}

function tlsArguments(
  port: number,
  certificate: IssuedCertificate,
  { ca, clientAuth = false }: { ca: TestCa; clientAuth?: boolean },
): string[] {
  return [
    ...['--port', '0', '--tls-port', String(port)],
    ...['--tls-cert-file', certificate.certFile, '--tls-key-file', certificate.keyFile],
    // Clients verify the server; the server asks for client certificates only with clientAuth.
    ...['--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', clientAuth ? 'yes' : 'no'],
  ];
}

/** The URL a client is given: scheme by TLS, credentials percent-encoded, `?ca=` with TLS. */
function clientUrl(port: number, { password, user, tls }: StartRedisOptions): string {
  const userInfo =
    password === undefined ? '' : `${encodeURIComponent(user ?? '')}:${encodeURIComponent(password)}@`;
  const query = tls ? `?ca=${encodeURIComponent(tls.ca.caFile)}` : '';
  return `${tls ? 'rediss' : 'redis'}://${userInfo}127.0.0.1:${port}${query}`;
}

/**
 * A throwaway redis-server (Debian `redis-server`) on a free loopback port. Without
 * `persistent` it keeps nothing, so a restart starts empty; with it, every write is appended
 * and fsynced (appendfsync always) in a temporary folder, so a restart keeps every
 * acknowledged write. With `password` (and `user`) clients must authenticate; with `tls` it
 * speaks TLS only. Resolves once it answers PING (over TLS, after AUTH, as a client would).
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const { persistent = false, password, user, tls } = options;
  requireBinary('redis-server', 'redis-server');
  const port = await freePort();
  const access = authArguments(options);
  const certificate = tls
    ? await tls.ca.issue(`redis-${port}`, { dns: ['localhost'], ips: ['127.0.0.1'] })
    : undefined;
  // The readiness probe's own certificate, when the server asks clients for one.
  const probeCertificate = tls?.clientAuth ? await tls.ca.issue(`redis-${port}-probe`) : undefined;
  const listen = certificate && tls ? tlsArguments(port, certificate, tls) : ['--port', String(port)];
  const dataDir = persistent ? mkdtempSync(join(tmpdir(), 'nestmesh-redis-')) : undefined;
  const persistence = dataDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir]
    : ['--appendonly', 'no'];
  const server = serverProcess({
    description: `redis-server on port ${port}`,
    spawn: () =>
      spawnOwned(
        'redis-server',
        [...listen, '--bind', '127.0.0.1', '--save', '', ...persistence, '--loglevel', 'warning', ...access],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ready: () =>
      ping({
        port,
        ca: tls?.ca.ca,
        auth: password === undefined ? undefined : user === undefined ? [password] : [user, password],
        client: probeCertificate && { cert: probeCertificate.cert, key: probeCertificate.key },
      }),
    // A bound for a loaded machine; it starts in milliseconds on a quiet one.
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  const { start, kill } = server;

  await start();
  return {
    url: clientUrl(port, options),
    port,
    kill,
    start,
    get pid() {
      return server.child?.pid;
    },
    pause: () => void server.child?.kill('SIGSTOP'),
    resume: () => void server.child?.kill('SIGCONT'),
    stop: async () => {
      server.child?.kill('SIGCONT');
      await kill('SIGTERM');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
