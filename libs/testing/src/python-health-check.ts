// grpc.health.v1 Check from Python's grpcio over TLS: a gRPC peer that shares no code with
// grpc-js and whose TLS is grpcio's own (BoringSSL), not Node's OpenSSL.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { requireBinary, spawnOwned } from './child-process.js';

// The script ships beside dist (tsc copies no .py): dist → ../python.
const SCRIPT = fileURLToPath(new URL('../python/grpc_health_check.py', import.meta.url));

export interface PythonHealthCheck {
  /** 0: answered (stdout is the serving status name: SERVING, NOT_SERVING, …); 1: the RPC failed. */
  readonly code: number | null;
  readonly stdout: string;
  /** On failure: `<STATUS CODE>: <details>`. */
  readonly stderr: string;
}

/**
 * One Check of the server as a whole at `target` (`host:port`) from grpcio over TLS, verifying
 * the server certificate against `caFile` for `serverName`, presenting `client` when given.
 * Needs Debian's python3 with python3-grpcio (fails naming the package, never skips).
 */
export async function pythonHealthCheck(
  target: string,
  serverName: string,
  caFile: string,
  client?: { readonly certFile: string; readonly keyFile: string },
): Promise<PythonHealthCheck> {
  // Debian's python3-grpcio is installed for Debian's python3, which a pyenv or venv on PATH hides.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  requireBinary(python, 'python3-grpcio');
  const clientFiles = client ? [client.certFile, client.keyFile] : [];
  const child = spawnOwned(python, [SCRIPT, target, serverName, caFile, ...clientFiles], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
