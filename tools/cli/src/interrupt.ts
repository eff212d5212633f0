import { InterruptedError } from './cli.errors.js';

/**
 * A signal that aborts on the first Ctrl-C (SIGINT), for commands that run until stopped; the
 * handler replaces Node's default exit so the command can cancel its call and say why. Its
 * reason is an InterruptedError, so whatever rejects with the reason (a registry request in
 * flight) ends the command with exit 130 too. A second Ctrl-C, while the command winds down, is
 * left to Node's default (exit at once).
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new InterruptedError()));
  return controller.signal;
}
