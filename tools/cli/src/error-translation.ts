import { BackendUnavailableError, BadUrlError, CliError } from './cli.errors.js';
import { EXIT_CODES } from './exit-codes.js';

/** The `code`s the libs give a bad URL or option, and a backend that did not answer. */
const BAD_URL_CODES = new Set(['INVALID_OPTIONS']);
const UNAVAILABLE_CODES = new Set(['REGISTRY_UNAVAILABLE', 'LOCK_UNAVAILABLE', 'ELECTION_UNAVAILABLE']);

/**
 * Any error a command raised as the CliError to report: the libs' typed errors keep their
 * message (already prefixed `discovery: `, `lock: ` …, password-free) under the CLI's exit
 * code for their kind; anything else is reported as an unexpected failure (exit 1).
 */
export function cliErrorOf(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof code === 'string' && BAD_URL_CODES.has(code)) return new BadUrlError(message, { cause: error });
  if (name === 'InvalidBackendUrlError') return new BadUrlError(message, { cause: error });
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code))
    return new BackendUnavailableError(message, { cause: error });
  return new CliError('UNEXPECTED', EXIT_CODES.failed, message, { cause: error });
}
