import { isServiceName } from '@nestmesh/discovery';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { isErrorStatus } from '../status/status-mapping.js';
import type { MeshGrpcModuleOptions } from './mesh-grpc.module-definition.js';
import { validateShedding } from './shedding/shedding.options.js';

function assertDuration(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    throw new InvalidGrpcOptionsError(name, `must be a duration in ms ≥ 0, got ${value}`);
  }
}

/** Fails module construction on options that cannot work, naming the option. */
export function validateServerOptions(options: MeshGrpcModuleOptions): void {
  if (!options || typeof options !== 'object') throw new InvalidGrpcOptionsError('options', 'are missing');
  if (!isServiceName(options.name)) {
    throw new InvalidGrpcOptionsError(
      'name',
      `must be a service name like "inventory", got ${JSON.stringify(options.name)}`,
    );
  }
  if (!Array.isArray(options.services) || options.services.length === 0) {
    throw new InvalidGrpcOptionsError('services', 'must list at least one service definition');
  }
  // Checked as plain data: a JavaScript caller can pass anything here.
  options.services.forEach((definition: unknown, index) => {
    const methods =
      definition && typeof definition === 'object'
        ? Object.values(definition as Record<string, { path?: unknown } | null>)
        : [];
    if (methods.length === 0 || methods.some((method) => typeof method?.path !== 'string')) {
      throw new InvalidGrpcOptionsError(
        `services[${index}]`,
        'is not a grpc-js service definition (ts-proto outputServices=grpc-js)',
      );
    }
  });
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidGrpcOptionsError('port', `must be an integer in 0..65535, got ${port}`);
  }
  assertDuration('drainTimeoutMs', options.drainTimeoutMs);
  assertDuration('deregisterDelayMs', options.deregisterDelayMs);
  assertErrorCodes(options.errorCodes);
  if (options.traceHealthChecks !== undefined && typeof options.traceHealthChecks !== 'boolean') {
    throw new InvalidGrpcOptionsError(
      'traceHealthChecks',
      `must be true or false, got ${JSON.stringify(options.traceHealthChecks)}`,
    );
  }
  validateShedding(options.shedding);
}

function assertErrorCodes(errorCodes: unknown): void {
  if (errorCodes === undefined) return;
  if (typeof errorCodes !== 'object' || errorCodes === null) {
    throw new InvalidGrpcOptionsError('errorCodes', 'must map error codes to gRPC statuses');
  }
  for (const [code, status] of Object.entries(errorCodes)) {
    if (!isErrorStatus(status)) {
      throw new InvalidGrpcOptionsError(
        'errorCodes',
        `maps "${code}" to ${JSON.stringify(status)}, which is not a gRPC error status (1..16, e.g. Status.NOT_FOUND)`,
      );
    }
  }
}
