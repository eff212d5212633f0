// Plain grpc-js clients for tests that must step outside the typed client: unknown methods,
// malformed payloads, health and reflection as any gRPC tool would call them.
import { Client, credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { HealthService } from '@nestmesh/contracts/grpc/health/v1';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { createMeshClient } from '../client/typed-client.js';

export function rawClient(port: number): Client {
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure());
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

export function healthClient(port: number) {
  return createMeshClient(HealthService, rawClient(port), { timeoutMs: 5000, streamTimeoutMs: 0 });
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** Asks the server's reflection service (v1) one question, as grpcurl would. */
export async function reflect(port: number, request: Record<string, string>): Promise<ReflectionResponse> {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
  const definition = loadSync('grpc/reflection/v1/reflection.proto', {
    includeDirs: [root],
    keepCase: false,
  });
  const grpcPackage = loadPackageDefinition(definition) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            target: string,
            creds: unknown,
          ) => Client & Record<string, () => NodeJS.EventEmitter & { write(m: unknown): void; end(): void }>;
        };
      };
    };
  };
  const client = new grpcPackage.grpc.reflection.v1.ServerReflection(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );
  try {
    return await new Promise((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on('data', (response: ReflectionResponse) => {
        resolve(response);
        call.end();
      });
      call.on('error', reject);
      call.write(request);
    });
  } finally {
    client.close();
  }
}
