#!/usr/bin/env node
// nestmesh-grpc-health <host:port> [service]: one grpc.health.v1.Health/Check, for container
// healthchecks (no downloaded probe binary). Exit 0: SERVING; 1: answered, but not SERVING
// (starting, draining, unknown service); 2: no answer (refused, timed out) or bad arguments.
// The deadline is PROBE_TIMEOUT_MS (default 2000). With GRPC_TLS_CA set it dials with TLS,
// taking the other GRPC_TLS_* variables as the mesh client does (a client certificate for
// mutual TLS; GRPC_TLS_SERVER_NAME, else the host dialled, is the name checked).
import {
  credentials,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ChannelOptions,
  Metadata,
  status as Status,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '@nestmesh/contracts/grpc/health/v1';

import { channelCredentialsFor } from '../tls/tls-credentials.js';
import { tlsFromEnv } from '../tls/tls-env.js';

type CheckCallback = (error: ServiceError | null, response?: HealthCheckResponse) => void;
interface HealthStub {
  check(
    request: { service: string },
    metadata: Metadata,
    options: { deadline: number },
    callback: CheckCallback,
  ): void;
  close(): void;
}

const HealthClient = makeGenericClientConstructor(HealthService, 'grpc.health.v1.Health');

function fail(code: 1 | 2, message: string): never {
  process.stderr.write(`nestmesh-grpc-health: ${message}\n`);
  process.exit(code);
}

const [target, service = ''] = process.argv.slice(2);
const timeoutMs = Number(process.env.PROBE_TIMEOUT_MS ?? 2000);
if (!target || !/^[^\s/]+:\d+$/.test(target)) fail(2, 'usage: nestmesh-grpc-health <host:port> [service]');
if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) fail(2, `PROBE_TIMEOUT_MS must be a number of ms > 0`);

/** TLS when GRPC_TLS_CA is set; a bad TLS setting is an answer of nobody: exit 2, naming it. */
function transport(): { credentials: ChannelCredentials; channelOptions: ChannelOptions } {
  if (!process.env.GRPC_TLS_CA) return { credentials: credentials.createInsecure(), channelOptions: {} };
  try {
    const tls = tlsFromEnv();
    if (!tls) throw new Error('GRPC_TLS_CA is set but unreadable');
    return channelCredentialsFor(tls);
  } catch (error) {
    fail(2, (error as Error).message);
  }
}

const { credentials: channelCredentials, channelOptions } = transport();
const client = new HealthClient(target, channelCredentials, channelOptions) as unknown as HealthStub;
client.check({ service }, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
  client.close();
  // NOT_FOUND is an answer: the server is up, but does not know that service.
  if (error)
    fail(
      error.code === Status.NOT_FOUND ? 1 : 2,
      `${target}: ${error.details || error.message} (${Status[error.code]})`,
    );
  const status = response?.status ?? ServingStatus.UNKNOWN;
  const name = ServingStatus[status] ?? String(status);
  if (status !== ServingStatus.SERVING) fail(1, `${target}${service ? ` ${service}` : ''}: ${name}`);
  process.stdout.write(`${target}${service ? ` ${service}` : ''}: SERVING\n`);
});
