import { connect, type NetConnectOpts } from 'node:net';

import { HAPROXY_SYNC_DEFAULTS } from '../discovery.constants.js';
import { HaproxyUnavailableError, InvalidDiscoveryOptionsError } from '../discovery.errors.js';

/**
 * Where the runtime API listens (a `stats socket … level admin` line): a unix socket path
 * (`/run/haproxy/admin.sock`, or `unix:/run/haproxy/admin.sock`) or a TCP `host:port`
 * (`127.0.0.1:9999`, `[::1]:9999`).
 */
export function parseRuntimeApiAddress(address: string): NetConnectOpts {
  if (address.startsWith('unix:')) return { path: address.slice('unix:'.length) };
  if (address.startsWith('/')) return { path: address };
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) {
    throw new InvalidDiscoveryOptionsError(
      `haproxy runtime API "${address}" is neither a unix socket path nor host:port`,
    );
  }
  return { host: match[1] ?? match[2], port };
}

/**
 * A client of HAProxy's runtime API (the text protocol of `stats socket`). Each command opens
 * its own connection, which HAProxy closes after the answer: the sync sends a handful of
 * commands per membership change, so the connection costs nothing that matters, while there is
 * no prompt-mode framing to parse, no session to restore after HAProxy restarts, and a broken
 * connection fails one command only.
 */
export class HaproxyRuntimeApi {
  private readonly target: NetConnectOpts;

  constructor(
    readonly address: string,
    private readonly timeoutMs: number = HAPROXY_SYNC_DEFAULTS.commandTimeoutMs,
  ) {
    this.target = parseRuntimeApiAddress(address);
  }

  /**
   * Sends one command and resolves with HAProxy's whole answer, as text. Rejects with
   * `HaproxyUnavailableError` when the socket cannot be reached or the answer takes longer
   * than the timeout; aborting the signal closes the connection and rejects with its reason.
   * Judging the answer (HAProxy reports refusals as text) is the caller's business.
   */
  async send(command: string, { signal }: { signal?: AbortSignal } = {}): Promise<string> {
    if (/[\r\n;]/.test(command)) {
      throw new InvalidDiscoveryOptionsError(`haproxy command must be one line: ${JSON.stringify(command)}`);
    }
    signal?.throwIfAborted();
    return new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = connect(this.target, () => socket.end(`${command}\n`));
      const onAbort = () => socket.destroy(new Error('aborted'));
      const fail = (error: Error) =>
        reject(signal?.aborted ? signal.reason : new HaproxyUnavailableError(this.address, command, error));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(this.timeoutMs, () =>
        socket.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
      );
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      socket.once('error', fail);
      socket.once('close', (hadError) => {
        signal?.removeEventListener('abort', onAbort);
        if (!hadError) resolve(answer);
      });
    });
  }
}
