import { Metadata, status as Status } from '@grpc/grpc-js';

/** Base of every error @nestmesh/grpc throws; `code` is stable, the message starts `grpc: `. */
export class MeshGrpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`grpc: ${message}`, options);
    this.name = new.target.name;
  }
}

/** Module options that cannot work, raised when the module is built; the message names the option. */
export class InvalidGrpcOptionsError extends MeshGrpcError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('INVALID_OPTIONS', `option "${option}" ${message}`);
  }
}

/** Controllers and service definitions that do not match (a handler for a service not served, …). */
export class GrpcBindingError extends MeshGrpcError {
  constructor(message: string) {
    super('BINDING', message);
  }
}

/** The server could not listen on its address (port taken, interface absent, …). */
export class GrpcListenError extends MeshGrpcError {
  constructor(
    readonly address: string,
    cause: Error,
  ) {
    super('LISTEN', `cannot listen on ${address}: ${cause.message}`, { cause });
  }
}

/**
 * A call that ended with a non-OK gRPC status. Clients reject with it (`status` is what the
 * server sent, or what grpc-js decided locally: DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED);
 * handlers throw it to answer with a chosen status. `code` is the status name (`NOT_FOUND`).
 */
export class RpcError extends MeshGrpcError {
  readonly status: Status;
  readonly details: string;
  readonly metadata: Metadata;
  /** The full method path (`/inventory.v1.InventoryService/GetStock`) on the client side. */
  readonly method: string | undefined;

  constructor(
    status: Status,
    details: string,
    {
      metadata = new Metadata(),
      method,
      cause,
    }: { metadata?: Metadata; method?: string; cause?: unknown } = {},
  ) {
    super(
      Status[status] ?? 'UNKNOWN',
      `${method ? `${method} ` : ''}${Status[status] ?? status}: ${details}`,
      {
        cause,
      },
    );
    this.status = status;
    this.details = details;
    this.metadata = metadata;
    this.method = method;
  }
}

/**
 * A request stream the mesh client cannot send: written after `end()` or after the call
 * ended, or a source that is neither iterable nor an Observable. The call's own outcome (its
 * status) is reported where the response is read, not here.
 */
export class RequestStreamError extends MeshGrpcError {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super('REQUEST_STREAM', `${method} ${message}`);
  }
}
