import { Metadata } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import type { EventEmitter } from 'node:events';

/** The metadata of one call as promises that never reject, so an unread one cannot go unhandled. */
export interface ResponseMetadata {
  /**
   * The server's headers; resolves when they arrive, or with an empty Metadata when the call
   * ended without any (a trailers-only answer, a cancellation, a local deadline).
   */
  readonly headers: Promise<Metadata>;
  /** The trailers sent with the status, OK or not; resolves when the call has ended. */
  readonly trailers: Promise<Metadata>;
}

/** Listens to a grpc-js call's `metadata` and `status` events (both are emitted by every kind). */
export function captureMetadata(call: EventEmitter): ResponseMetadata {
  let resolveHeaders!: (headers: Metadata) => void;
  let resolveTrailers!: (trailers: Metadata) => void;
  const headers = new Promise<Metadata>((resolve) => (resolveHeaders = resolve));
  const trailers = new Promise<Metadata>((resolve) => (resolveTrailers = resolve));
  call.once('metadata', resolveHeaders);
  call.once('status', (status: StatusObject) => {
    resolveHeaders(new Metadata());
    resolveTrailers(status.metadata);
  });
  return { headers, trailers };
}

/** Metadata promises of a call that has not started yet (a stream not iterated so far). */
export class PendingMetadata implements ResponseMetadata {
  private resolveHeaders!: (headers: Promise<Metadata>) => void;
  private resolveTrailers!: (trailers: Promise<Metadata>) => void;
  readonly headers = new Promise<Metadata>((resolve) => (this.resolveHeaders = resolve));
  readonly trailers = new Promise<Metadata>((resolve) => (this.resolveTrailers = resolve));

  /** Follows `call` from now on. */
  follow(call: EventEmitter): void {
    const captured = captureMetadata(call);
    this.resolveHeaders(captured.headers);
    this.resolveTrailers(captured.trailers);
  }

  /** The call never started (aborted first, or refused before sending): both resolve empty. */
  neverStarted(): void {
    this.resolveHeaders(Promise.resolve(new Metadata()));
    this.resolveTrailers(Promise.resolve(new Metadata()));
  }
}
