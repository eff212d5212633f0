import { redactUrl } from '@nestmesh/common';

/** Base of every error @nestmesh/discovery throws; `code` is stable, the message starts `discovery: `. */
export class DiscoveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`discovery: ${message}`, options);
    this.name = new.target.name;
  }
}

/** The discovery URL or options cannot be used; raised when the module is built. */
export class InvalidDiscoveryOptionsError extends DiscoveryError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** An instance that cannot be registered as given (missing name, bad port, …). */
export class InvalidServiceInstanceError extends DiscoveryError {
  constructor(message: string) {
    super('INVALID_INSTANCE', message);
  }
}

/**
 * The registry did not answer (down, unreachable, timed out); the operation may be retried.
 * The message never shows a password or token that a client's error might quote in a URL.
 */
export class RegistryUnavailableError extends DiscoveryError {
  constructor(registry: string, operation: string, cause: unknown) {
    super(
      'REGISTRY_UNAVAILABLE',
      redactUrl(`${registry} ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`),
      { cause },
    );
  }
}

/** HAProxy's runtime API could not be reached or did not answer in time; the sync retries. */
export class HaproxyUnavailableError extends DiscoveryError {
  constructor(address: string, command: string, cause: unknown) {
    super(
      'HAPROXY_UNAVAILABLE',
      `haproxy runtime API ${address} did not answer "${command}": ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** HAProxy answered a runtime API command with an error (no such backend, name taken, …). */
export class HaproxyCommandError extends DiscoveryError {
  constructor(
    readonly command: string,
    readonly answer: string,
  ) {
    super('HAPROXY_COMMAND_FAILED', `haproxy refused "${command}": ${answer.trim() || '(no answer)'}`);
  }
}
