// How the circuit breaker's specs call the Echo mesh client and tell a local rejection from a
// server's answer.
import { status as Status } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { CIRCUIT_BREAKER_OPEN_REASON } from '../client/middleware/circuit-breaker.js';
import type { Echo } from './faulty-echo-mesh.js';

export interface Outcome {
  status: Status;
  /** Rejected by the breaker, never sent (its ErrorInfo says so). */
  rejected: boolean;
  error?: RpcError;
}

function outcomeOf(error: unknown): Outcome {
  if (!(error instanceof RpcError)) return { status: Status.UNKNOWN, rejected: false };
  const rejected = error.richDetails.errorInfo?.reason === CIRCUIT_BREAKER_OPEN_REASON;
  return { status: error.status, rejected, error };
}

export const echoOnce = (echo: Echo): Promise<Outcome> =>
  echo.echo({ message: 'hi', delayMs: 0 }).then(() => ({ status: Status.OK, rejected: false }), outcomeOf);

/** One Expand (server streaming) call read to its end. */
export async function expandOnce(echo: Echo): Promise<Outcome> {
  try {
    for await (const answer of echo.expand({ message: 'hi', count: 1, intervalMs: 0 })) void answer;
    return { status: Status.OK, rejected: false };
  } catch (error) {
    return outcomeOf(error);
  }
}

/** One Collect (client streaming) call of three requests. */
export const collectOnce = (echo: Echo): Promise<Outcome> =>
  echo
    .collect([{ message: 'a' }, { message: 'b' }, { message: 'c' }])
    .then(() => ({ status: Status.OK, rejected: false }), outcomeOf);

/** `count` calls of `call`, `concurrency` at a time; their outcomes in the order they ended. */
export async function drive(
  call: () => Promise<Outcome>,
  count: number,
  concurrency = 1,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < count) outcomes.push(await call());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

export const rejectedOf = (outcomes: Outcome[]): number =>
  outcomes.filter((outcome) => outcome.rejected).length;

/** Chance from a fixed seed (a linear congruential generator): the same draws every run. */
export function seededRandom(seed = 12_345): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
