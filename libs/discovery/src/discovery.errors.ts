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

/** The registry did not answer (down, unreachable, timed out); the operation may be retried. */
export class RegistryUnavailableError extends DiscoveryError {
  constructor(registry: string, operation: string, cause: unknown) {
    super(
      'REGISTRY_UNAVAILABLE',
      `${registry} ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
