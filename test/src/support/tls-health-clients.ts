// grpc.health.v1 Check from clients outside the mesh, for the mTLS end-to-end test: grpc-js
// with whatever credentials a test gives it, and Python's grpcio (its own TLS stack).
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Client,
  Metadata,
  status as Status,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '@nestmesh/contracts/grpc/health/v1';
import { requireBinary, spawnOwned } from '@nestmesh/testing';

/** What a Check answered: a serving status name, or the status code and details of its failure. */
export type CheckOutcome = { readonly serving: string } | { readonly code: string; readonly details: string };

/** One Check of the server as a whole (service ''), on a channel of its own, closed afterwards. */
export async function grpcJsHealthCheck(
  target: string,
  credentials: ChannelCredentials,
  options: Record<string, string> = {},
  deadlineMs = 10_000,
): Promise<CheckOutcome> {
  const client = new Client(target, credentials, options);
  const method = HealthService.check;
  try {
    return await new Promise<CheckOutcome>((resolve) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { service: '' },
        new Metadata(),
        { deadline: new Date(Date.now() + deadlineMs) },
        (error: ServiceError | null, response?: HealthCheckResponse) =>
          resolve(
            error
              ? { code: Status[error.code], details: error.details }
              : { serving: ServingStatus[response!.status] },
          ),
      );
    });
  } finally {
    client.close();
  }
}

// The script stays in src (tsc copies no .py): dist/support → src/fixtures.
const SCRIPT = fileURLToPath(new URL('../../src/fixtures/grpc_health_check.py', import.meta.url));

export interface PythonCheck {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * grpc_health_check.py: a Check over TLS from grpcio, checking the server certificate for
 * `serverName` against `caFile`, presenting `client` when given.
 */
export async function pythonHealthCheck(
  target: string,
  serverName: string,
  caFile: string,
  client?: { certFile: string; keyFile: string },
): Promise<PythonCheck> {
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
