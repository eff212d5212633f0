// Plain grpc-js clients for tests that must step outside the typed client: unknown methods,
// malformed payloads, health and reflection as any gRPC tool would call them.
import {
  Client,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
  type status as Status,
} from '@grpc/grpc-js';
import { HealthService } from '@nestmesh/contracts/grpc/health/v1';
import {
  ServerReflectionService as ReflectionV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from '@nestmesh/contracts/grpc/reflection/v1';
import { ServerReflectionService as ReflectionV1alpha } from '@nestmesh/contracts/grpc/reflection/v1alpha';

import { createMeshClient } from '../client/typed-client.js';

/** How a raw client dials: plaintext by default, or TLS (`channelCredentialsFor`). */
export interface RawTransport {
  credentials: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

const PLAINTEXT: RawTransport = { credentials: credentials.createInsecure() };

export function rawClient(port: number, transport: RawTransport = PLAINTEXT): Client {
  return new Client(`127.0.0.1:${port}`, transport.credentials, transport.channelOptions);
}

/** Sends `payload` bytes as the request of `path` and returns the error status code (or 0). */
export function rawUnary(
  client: Client,
  path: string,
  payload: Buffer,
): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      payload,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (error: ServiceError | null) => resolve({ code: error?.code ?? 0, details: error?.details ?? '' }),
    );
  });
}

export function healthClient(port: number, transport?: RawTransport) {
  return createMeshClient(HealthService, rawClient(port, transport), { timeoutMs: 5000, streamTimeoutMs: 0 });
}

type Question = ServerReflectionRequest['messageRequest'];

/** One reflection stream, asked one question at a time, as grpcurl or grpcui would. */
export interface ReflectionStream {
  ask(question: Question, host?: string): Promise<ServerReflectionResponse>;
  /** The status the server ends the stream with. */
  ended(): Promise<Status>;
  close(): void;
}

/** Opens a reflection stream (v1, or the older v1alpha) to the server on `port`. */
export function reflectionStream(
  port: number,
  version: 'v1' | 'v1alpha' = 'v1',
  transport: RawTransport = PLAINTEXT,
): ReflectionStream {
  const definition = version === 'v1' ? ReflectionV1 : ReflectionV1alpha;
  const Constructor = makeGenericClientConstructor(definition, 'ServerReflection');
  const client = new Constructor(`127.0.0.1:${port}`, transport.credentials, transport.channelOptions);
  const call = client.makeBidiStreamRequest(
    definition.serverReflectionInfo.path,
    ReflectionV1.serverReflectionInfo.requestSerialize,
    ReflectionV1.serverReflectionInfo.responseDeserialize,
    new Metadata(),
  );
  let failure: Error | undefined;
  const waiting: { resolve(response: ServerReflectionResponse): void; reject(error: Error): void }[] = [];
  call.on('data', (response: ServerReflectionResponse) => waiting.shift()?.resolve(response));
  call.on('error', (error: Error) => {
    failure = error;
    for (const pending of waiting.splice(0)) pending.reject(error);
  });
  call.on('end', () => {
    failure ??= new Error('the stream ended');
    for (const pending of waiting.splice(0)) pending.reject(new Error('the stream ended'));
  });
  const ended = new Promise<Status>((resolve) =>
    call.on('status', ({ code }: { code: Status }) => resolve(code)),
  );
  return {
    ask: (messageRequest, host = '') =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        waiting.push({ resolve, reject });
        call.write({ host, messageRequest });
      }),
    ended: () => ended,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/** Asks the server's reflection service (v1) one question on a stream of its own. */
export async function reflect(port: number, question: Question): Promise<ServerReflectionResponse> {
  const stream = reflectionStream(port);
  try {
    return await stream.ask(question);
  } finally {
    stream.close();
  }
}
