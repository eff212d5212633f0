import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { decodeStatusDetails } from '@nestmesh/grpc/status';

import type { CallStatus } from '../cli.errors.js';

/** The status of a failed call: its code by name, its message, its rich details (`{}` if none). */
export function statusOfError(error: ServiceError): CallStatus {
  return {
    code: Status[error.code] ?? String(error.code),
    codeNumber: error.code,
    message: error.details || error.message,
    details: { ...decodeStatusDetails(error.metadata) },
  };
}

/** The details as indented `key: value` lines under the error line, for people. */
export function detailLines({ details }: CallStatus): string {
  return Object.entries(details)
    .map(([kind, detail]) => `  ${kind}: ${JSON.stringify(detail)}\n`)
    .join('');
}
