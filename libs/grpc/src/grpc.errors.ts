import { Metadata, status as Status } from '@grpc/grpc-js';

import {
  decodeStatusDetails,
  detailsProblem,
  encodeStatusDetails,
  STATUS_DETAILS_KEY,
  type RichErrorDetails,
} from './status/status-details.js';

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

/**
 * TLS settings that cannot work (a certificate without its key, a file that is missing or not
 * PEM, a key that does not match its certificate), raised at startup rather than on the first
 * call. `setting` is the option (`tls.certFile`) or environment variable (`GRPC_TLS_CERT`).
 */
export class GrpcTlsConfigError extends MeshGrpcError {
  constructor(
    readonly setting: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('TLS_CONFIG', `tls: ${setting} ${message}`, options);
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

/** Details given to an RpcError that cannot be sent (an ErrorInfo without a reason, a negative delay). */
export class InvalidErrorDetailsError extends MeshGrpcError {
  constructor(message: string) {
    super('INVALID_ERROR_DETAILS', message);
  }
}

/** What an RpcError is built with; the details go out in grpc-status-details-bin. */
export interface RpcErrorOptions extends RichErrorDetails {
  metadata?: Metadata;
  method?: string;
  cause?: unknown;
}

/**
 * A call that ended with a non-OK gRPC status. Clients reject with it (`status` is what the
 * server sent, or what grpc-js decided locally: DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED);
 * handlers throw it to answer with a chosen status. `code` is the status name (`NOT_FOUND`).
 * `details` is the status message (grpc-js' name for it); the standard google.rpc details
 * (ErrorInfo, RetryInfo, BadRequest) are `richDetails`. A handler gives them as options
 * (`new RpcError(Status.UNAVAILABLE, 'busy', { retryInfo: { retryDelayMs: 500 } })`): they
 * are encoded into the metadata's grpc-status-details-bin, which the server sends as a trailer.
 */
export class RpcError extends MeshGrpcError {
  readonly status: Status;
  readonly details: string;
  readonly metadata: Metadata;
  /** The full method path (`/inventory.v1.InventoryService/GetStock`) on the client side. */
  readonly method: string | undefined;
  #richDetails: RichErrorDetails | undefined;

  constructor(status: Status, details: string, options: RpcErrorOptions = {}) {
    const { metadata = new Metadata(), method, cause, errorInfo, retryInfo, badRequest } = options;
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
    if (errorInfo || retryInfo || badRequest) {
      const given = { errorInfo, retryInfo, badRequest };
      const problem = detailsProblem(given);
      if (problem) throw new InvalidErrorDetailsError(problem);
      metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(status, details, given));
    }
  }

  /**
   * ErrorInfo, RetryInfo and BadRequest from the grpc-status-details-bin trailer, decoded on
   * first read (a call that fails pays nothing unless someone looks); `{}` when the status
   * carried none, or carried bytes that do not decode.
   */
  get richDetails(): RichErrorDetails {
    this.#richDetails ??= decodeStatusDetails(this.metadata);
    return this.#richDetails;
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
