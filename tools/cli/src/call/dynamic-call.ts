import { once } from 'node:events';
import type { JsonValue } from '@bufbuild/protobuf';
import type {
  Client,
  ClientReadableStream,
  ClientWritableStream,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';

import { CallFailedError, InterruptedError } from '../cli.errors.js';
import { statusOfError } from './call-status.js';
import type { MessageCodec } from './message-codec.js';

/** How one call is made: its path, metadata, deadline and the signal that cancels it (Ctrl-C). */
export interface CallSettings {
  /** `/package.Service/Method`. */
  readonly path: string;
  readonly metadata: Metadata;
  readonly deadline?: Date;
  /** Aborting cancels the call (CANCELLED on the wire) and rejects with InterruptedError. */
  readonly signal: AbortSignal;
}

/** Encoded requests, for the streaming calls: the codec has already turned the JSON into bytes. */
export type RequestBytes = AsyncIterable<Buffer>;

const asIs = (bytes: Buffer) => bytes;

function failure(settings: CallSettings, error: unknown): unknown {
  if (settings.signal.aborted) return new InterruptedError();
  if (typeof (error as Partial<ServiceError>).code === 'number')
    return new CallFailedError(settings.path.slice(1), statusOfError(error as ServiceError));
  return error;
}

function cancelOnAbort(call: { cancel(): void }, signal: AbortSignal): () => void {
  const cancel = () => call.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** Writes every request, waiting for the stream to drain, then half-closes; cancels on failure. */
async function writeAll(call: ClientWritableStream<Buffer>, requests: RequestBytes): Promise<void> {
  try {
    for await (const request of requests) if (!call.write(request)) await once(call, 'drain');
    call.end();
  } catch (error) {
    call.cancel();
    throw error;
  }
}

export function unaryCall(client: Client, request: Buffer, codec: MessageCodec, settings: CallSettings) {
  return new Promise<JsonValue>((resolve, reject) => {
    const call = client.makeUnaryRequest(
      settings.path,
      asIs,
      codec.decode,
      request,
      settings.metadata,
      { deadline: settings.deadline },
      (error, response) => {
        stop();
        if (error) reject(failure(settings, error));
        else resolve(response!);
      },
    );
    const stop = cancelOnAbort(call, settings.signal);
  });
}

export function clientStreamingCall(
  client: Client,
  requests: RequestBytes,
  codec: MessageCodec,
  settings: CallSettings,
) {
  return new Promise<JsonValue>((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      settings.path,
      asIs,
      codec.decode,
      settings.metadata,
      { deadline: settings.deadline },
      (error, response) => {
        stop();
        if (error) reject(failure(settings, error));
        else resolve(response!);
      },
    );
    const stop = cancelOnAbort(call, settings.signal);
    writeAll(call, requests).catch((error: unknown) => {
      stop();
      reject(error);
    });
  });
}

async function* responses(call: ClientReadableStream<JsonValue>, settings: CallSettings) {
  const stop = cancelOnAbort(call, settings.signal);
  try {
    for await (const response of call) yield response as JsonValue;
  } catch (error) {
    throw failure(settings, error);
  } finally {
    stop();
    call.cancel(); // a consumer that stops early (an error writing stdout) ends the call too
  }
}

export function serverStreamingCall(
  client: Client,
  request: Buffer,
  codec: MessageCodec,
  settings: CallSettings,
) {
  const call = client.makeServerStreamRequest(settings.path, asIs, codec.decode, request, settings.metadata, {
    deadline: settings.deadline,
  });
  return responses(call, settings);
}

export async function* bidiStreamingCall(
  client: Client,
  requests: RequestBytes,
  codec: MessageCodec,
  settings: CallSettings,
) {
  const call = client.makeBidiStreamRequest(settings.path, asIs, codec.decode, settings.metadata, {
    deadline: settings.deadline,
  });
  let writeError: Error | undefined;
  const writing = writeAll(call, requests).catch((error: unknown) => {
    writeError = error instanceof Error ? error : new Error(String(error));
  });
  try {
    yield* responses(call, settings);
  } catch (error) {
    await writing;
    throw writeError ?? error; // a bad request line, not the CANCELLED it caused
  }
  await writing;
  if (writeError) throw writeError;
}
