import { Metadata, status as Status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '@nestmesh/contracts/grpc/health/v1';
import type { ServiceInstance } from '@nestmesh/discovery';
import type { MeshTlsOptions } from '@nestmesh/grpc';

import { CommandFailedError, TlsError } from '../cli.errors.js';
import { ReflectionClient } from '../call/reflection.client.js';
import { liveInstances, withDiscovery } from '../discovery-backend.js';
import type { GlobalOptions } from '../global-options.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { checkTlsSettings, openInstanceChannel, type InstanceChannel } from '../tls/instance-channel.js';
import { explainTlsFailure } from '../tls/tls-failure.js';
import type { TlsFlags } from '../tls/tls-flags.js';
import { tlsSettingsOf } from '../tls/tls-settings.js';

/** Each check's deadline when `--deadline` is not given, in ms. */
export const DEFAULT_HEALTH_DEADLINE_MS = 2000;

/** One Check answer: SERVING, NOT_SERVING, … or the status code of a check that failed. */
export interface HealthRow {
  readonly instance: string;
  readonly address: string;
  /** The gRPC service checked; '' is the server as a whole. */
  readonly service: string;
  readonly status: string;
  /** Why, when the check itself failed. */
  readonly detail?: string;
  /** The check failed in the TLS handshake (`detail` says why and what to change). */
  readonly tlsFailure?: boolean;
}

/** The services to check: the server as a whole, then what its reflection lists (grpc.* aside). */
async function servicesOf(client: Client, target: string, deadline: Date): Promise<string[]> {
  const reflection = new ReflectionClient(client, target, deadline);
  try {
    const listed = await reflection.listServices();
    return ['', ...listed.filter((service) => !service.startsWith('grpc.'))];
  } catch {
    // without reflection only the server as a whole is known; an unreachable server shows in Check
    return [''];
  } finally {
    reflection.close();
  }
}

function check(
  { client, tls }: InstanceChannel,
  service: string,
  deadline: Date,
): Promise<Omit<HealthRow, 'instance' | 'address'>> {
  const method = HealthService.check;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { service },
      new Metadata(),
      { deadline },
      (error: ServiceError | null, response?: HealthCheckResponse) => {
        if (!error)
          return resolve({ service, status: ServingStatus[response!.status] ?? String(response!.status) });
        const detail = error.details || error.message;
        const explained =
          tls && error.code === Status.UNAVAILABLE ? explainTlsFailure(detail, tls) : undefined;
        resolve({
          service,
          status: Status[error.code],
          detail: explained ?? detail,
          tlsFailure: !!explained,
        });
      },
    );
  });
}

async function checkInstance(
  instance: ServiceInstance,
  tls: MeshTlsOptions | undefined,
  deadlineMs: number,
): Promise<HealthRow[]> {
  const channel = openInstanceChannel(instance, tls);
  try {
    const deadline = new Date(Date.now() + deadlineMs);
    const services = await servicesOf(channel.client, channel.target, deadline);
    const results = await Promise.all(services.map((service) => check(channel, service, deadline)));
    return results.map((result) => ({ instance: instance.id, address: channel.target, ...result }));
  } finally {
    channel.client.close();
  }
}

/** The rows as a table: `(server)` for the whole-server check. */
export function healthTable(rows: readonly HealthRow[]): string {
  return formatTable(
    ['instance', 'address', 'service', 'status', 'detail'],
    rows.map((row) => [row.instance, row.address, row.service || '(server)', row.status, row.detail]),
  );
}

/**
 * `nestmesh health <service>`: grpc.health.v1 Check of every live instance, for the server as a
 * whole and each service it serves; fails (exit 1) unless every answer is SERVING, with exit 9
 * (TlsError) when a check failed in the TLS handshake or the instances need TLS settings.
 */
export async function healthCommand(
  service: string,
  options: { deadline?: number } & TlsFlags,
  global: GlobalOptions,
): Promise<void> {
  const tls = tlsSettingsOf(options);
  const instances = await withDiscovery(global, (backend) => liveInstances(backend, service));
  for (const instance of instances) checkTlsSettings(instance, tls);
  const deadlineMs = options.deadline ?? DEFAULT_HEALTH_DEADLINE_MS;
  const rows = (
    await Promise.all(instances.map((instance) => checkInstance(instance, tls, deadlineMs)))
  ).flat();
  process.stdout.write(
    global.json
      ? jsonLine({ service, checks: rows.map(({ tlsFailure: _, ...row }) => row) })
      : healthTable(rows),
  );
  const failing = rows.filter((row) => row.status !== 'SERVING');
  const tlsFailure = failing.find((row) => row.tlsFailure);
  if (tlsFailure) throw new TlsError(`health check of ${tlsFailure.address} failed: ${tlsFailure.detail}`);
  if (failing.length > 0)
    throw new CommandFailedError(
      `${failing.length} of ${rows.length} health checks of "${service}" are not SERVING`,
    );
}
