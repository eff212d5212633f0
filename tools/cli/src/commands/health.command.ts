import { Client, credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '@nestmesh/contracts/grpc/health/v1';
import type { ServiceInstance } from '@nestmesh/discovery';

import { CommandFailedError } from '../cli.errors.js';
import { ReflectionClient } from '../call/reflection.client.js';
import { liveInstances, targetOf, withDiscovery } from '../discovery-backend.js';
import type { GlobalOptions } from '../global-options.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';

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
  client: Client,
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
        if (error) resolve({ service, status: Status[error.code], detail: error.details || error.message });
        else resolve({ service, status: ServingStatus[response!.status] ?? String(response!.status) });
      },
    );
  });
}

async function checkInstance(instance: ServiceInstance, deadlineMs: number): Promise<HealthRow[]> {
  const target = targetOf(instance);
  const client = new Client(target, credentials.createInsecure());
  try {
    const deadline = new Date(Date.now() + deadlineMs);
    const services = await servicesOf(client, target, deadline);
    const results = await Promise.all(services.map((service) => check(client, service, deadline)));
    return results.map((result) => ({ instance: instance.id, address: target, ...result }));
  } finally {
    client.close();
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
 * whole and each service it serves; fails (exit 1) unless every answer is SERVING.
 */
export async function healthCommand(
  service: string,
  options: { deadline?: number },
  global: GlobalOptions,
): Promise<void> {
  const instances = await withDiscovery(global, (backend) => liveInstances(backend, service));
  const deadlineMs = options.deadline ?? DEFAULT_HEALTH_DEADLINE_MS;
  const rows = (await Promise.all(instances.map((instance) => checkInstance(instance, deadlineMs)))).flat();
  process.stdout.write(global.json ? jsonLine({ service, checks: rows }) : healthTable(rows));
  const failing = rows.filter((row) => row.status !== 'SERVING');
  if (failing.length > 0)
    throw new CommandFailedError(
      `${failing.length} of ${rows.length} health checks of "${service}" are not SERVING`,
    );
}
