import { redactUrl } from '@nestmesh/common';

import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/**
 * Base of every error the nestmesh command reports: `code` is stable, `exitCode` is what the
 * process exits with, and the message (starting `nestmesh: `) never shows a password.
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    readonly exitCode: ExitCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`nestmesh: ${redactUrl(message)}`, options);
    this.name = new.target.name;
  }
}

/** Arguments or options that cannot be used as given. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('USAGE', EXIT_CODES.usage, message);
  }
}

/** A backend URL that is not a URL, or names an unknown scheme or option. */
export class BadUrlError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('BAD_URL', EXIT_CODES.badUrl, message, options);
  }
}

/** The registry, Redis or etcd did not answer. */
export class BackendUnavailableError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', EXIT_CODES.unavailable, message, options);
  }
}

/** No instance of the service is registered (or none has the id asked for). */
export class UnknownServiceError extends CliError {
  constructor(message: string) {
    super('UNKNOWN_SERVICE', EXIT_CODES.unknownService, message);
  }
}

/** The server's reflection does not describe the method (or the server has no reflection). */
export class UnknownMethodError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNKNOWN_METHOD', EXIT_CODES.unknownMethod, message, options);
  }
}

/** The election backend has never heard of the group. */
export class UnknownGroupError extends CliError {
  constructor(group: string, known: readonly string[]) {
    super(
      'UNKNOWN_GROUP',
      EXIT_CODES.unknownGroup,
      `no election group "${group}" is known to the backend; known: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
}

/** Request JSON that does not parse or does not fit the request message; says where. */
export class MalformedJsonError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('MALFORMED_JSON', EXIT_CODES.malformedJson, message, options);
  }
}

/**
 * An instance that speaks TLS (its registered `grpc_tls` metadata) dialled without the TLS
 * settings it needs, or a TLS handshake that failed; the message says which and what to set.
 */
export class TlsError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('TLS', EXIT_CODES.tls, message, options);
  }
}

/**
 * The command ran, and its answer is a failure (a non-OK status, an instance not SERVING); the
 * output is already written, so the message is only for the exit code.
 */
export class CommandFailedError extends CliError {
  constructor(message: string) {
    super('FAILED', EXIT_CODES.failed, message);
  }
}

/** A status a server answered with, as the CLI prints it (and `--json` writes it). */
export interface CallStatus {
  /** The status code's name: `NOT_FOUND`, `UNAVAILABLE`, … */
  readonly code: string;
  /** Its number, for scripts that compare numbers. */
  readonly codeNumber: number;
  readonly message: string;
  /** google.rpc.Status details from grpc-status-details-bin: errorInfo, retryInfo, badRequest. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A call (or the reflection before it) answered with a non-OK status. */
export class CallFailedError extends CliError {
  constructor(
    readonly what: string,
    readonly status: CallStatus,
  ) {
    super('CALL_FAILED', EXIT_CODES.failed, `${what} failed: ${status.code}: ${status.message}`);
  }
}

/** Ctrl-C ended a stream or a watch: not a failure of the mesh, but not a normal end either. */
export class InterruptedError extends CliError {
  constructor() {
    super('INTERRUPTED', EXIT_CODES.interrupted, 'interrupted');
  }
}
