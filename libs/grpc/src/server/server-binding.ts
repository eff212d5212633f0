import { isIP } from 'node:net';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { DEFAULT_HOST } from './mesh-grpc.constants.js';

/** Where an app's servers listen, and the address it registers for others to dial. */
export interface ServerBinding {
  /** Interface the servers bind: `127.0.0.1` by default, `0.0.0.0` in a container. */
  host: string;
  /** Address registered in discovery; unset: `host`, or the machine's hostname for a wildcard host. */
  advertiseAddress?: string;
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner dashes.
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function isHostOrAddress(value: string): boolean {
  return isIP(value) !== 0 || HOST_NAME.test(value);
}

function hostFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!isHostOrAddress(value)) {
    throw new InvalidGrpcOptionsError(
      name,
      `must be a host name or an IP address (no scheme, no port), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The binding of an app's HTTP and gRPC servers from the environment: `HOST` (default
 * `127.0.0.1`) is the interface they listen on, `ADVERTISE_HOST` the address registered in
 * discovery. A container binds `0.0.0.0` and advertises its name on the network
 * (`HOST=0.0.0.0 ADVERTISE_HOST=inventory-2`); an unset ADVERTISE_HOST with a wildcard HOST
 * advertises the machine's hostname. A value that is not a host stops the app at start.
 */
export function serverBindingFromEnv(env: NodeJS.ProcessEnv = process.env): ServerBinding {
  const host = hostFrom(env, 'HOST') ?? DEFAULT_HOST;
  const advertiseAddress = hostFrom(env, 'ADVERTISE_HOST');
  if (advertiseAddress !== undefined && ['0.0.0.0', '::'].includes(advertiseAddress)) {
    throw new InvalidGrpcOptionsError(
      'ADVERTISE_HOST',
      `must be an address others can dial, not ${advertiseAddress}`,
    );
  }
  return advertiseAddress === undefined ? { host } : { host, advertiseAddress };
}
