import { InvalidGrpcOptionsError } from '../../grpc.errors.js';

/**
 * Deterministic subsetting (docs/grpc.md, "Subsetting"): above `threshold` instances, a client
 * connects to `size` of them only, chosen so that every instance gets about as many clients.
 */
export interface SubsetOptions {
  /** Instances each client connects to. Default 20. */
  size?: number;
  /** Subsetting starts when the service has more live instances than this. Default 2 × size. */
  threshold?: number;
  /**
   * This client's place among the C clients of the service, 0 … C-1, with `clientCount`
   * (both or neither). Default: its rank among the live instances of its own service in the
   * registry (the app's MeshGrpcModule registers it), else a random place for the process.
   */
  clientIndex?: number;
  /** C, the number of clients `clientIndex` counts in. */
  clientCount?: number;
}

/** Instances per client by default: enough for p2c to choose and for a few to fail, few enough to keep connections bounded. */
export const DEFAULT_SUBSET_SIZE = 20;

/** SubsetOptions checked, with their defaults. */
export interface SubsetSettings {
  size: number;
  threshold: number;
  /** Explicit place on the ring, or undefined to derive it. */
  place: { clientIndex: number; clientCount: number } | undefined;
}

/** Checks `subset` (refusing what cannot work, with the option named); undefined when off. */
export function subsetSettings(subset: SubsetOptions | false | undefined): SubsetSettings | undefined {
  if (subset === false) return undefined;
  if (subset !== undefined && (subset === null || typeof subset !== 'object')) {
    throw new InvalidGrpcOptionsError(
      'subset',
      `must be false or { size, threshold, clientIndex, clientCount }, got ${String(subset)}`,
    );
  }
  const given = subset ?? {};
  const size = given.size ?? DEFAULT_SUBSET_SIZE;
  requireInteger('subset.size', size, 1);
  const threshold = given.threshold ?? 2 * size;
  requireInteger('subset.threshold', threshold, size);
  return { size, threshold, place: placeOf(given) };
}

function placeOf({ clientIndex, clientCount }: SubsetOptions): SubsetSettings['place'] {
  if (clientIndex === undefined && clientCount === undefined) return undefined;
  if (clientIndex === undefined || clientCount === undefined) {
    const missing = clientIndex === undefined ? 'subset.clientIndex' : 'subset.clientCount';
    throw new InvalidGrpcOptionsError(
      missing,
      'must be set with the other: give both clientIndex and clientCount, or neither',
    );
  }
  requireInteger('subset.clientCount', clientCount, 1);
  requireInteger('subset.clientIndex', clientIndex, 0);
  if (clientIndex >= clientCount) {
    throw new InvalidGrpcOptionsError(
      'subset.clientIndex',
      `must be below clientCount (${clientCount}), got ${clientIndex}`,
    );
  }
  return { clientIndex, clientCount };
}

function requireInteger(option: string, value: unknown, minimum: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidGrpcOptionsError(
      option,
      `must be an integer ≥ ${minimum}, got ${JSON.stringify(value)}`,
    );
  }
}
