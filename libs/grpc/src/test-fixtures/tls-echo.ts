// An echo.v1.EchoService server over TLS for the TLS tests: it counts the calls its handler ran
// (so a test can tell a refused handshake from a refused call), and a mesh client dialling it
// by name through a memory registry. Certificates come from createTestCa().
import { Controller, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { descriptorSet } from '@nestmesh/contracts';
import {
  EchoServiceControllerMethods,
  EchoServiceService,
  type ChatRequest,
  type CollectRequest,
  type EchoRequest,
  type EchoResponse,
  type ExpandRequest,
} from '@nestmesh/contracts/echo/v1';
import type { Observable } from 'rxjs';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { createTestCa, startContext, type IssuedCertificate, type TestCa } from '@nestmesh/testing';

import { EchoController, EchoLog } from './fixture-echo.js';
import type { MeshClientOptions } from '../client/mesh-client.module.js';
import { MeshGrpcModule } from '../server/mesh-grpc.module.js';
import type { MeshGrpcModuleOptions } from '../server/mesh-grpc.module-definition.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import type { MeshTlsOptions } from '../tls/tls.options.js';
import { registryOf, startEchoClient, type Echo } from './retry-peers.js';

/** How many calls reached the handler, and the serial of the last client certificate seen (mTLS). */
@Injectable()
export class HandlerCalls {
  count = 0;
  lastPeerSerial: string | undefined;
}

@Controller()
@EchoServiceControllerMethods()
class CountingEchoController extends EchoController {
  constructor(
    log: EchoLog,
    private readonly calls: HandlerCalls,
  ) {
    super(log);
  }
  override echo(
    request: EchoRequest,
    _metadata?: Metadata,
    call?: ServerUnaryCall<unknown, unknown>,
  ): EchoResponse {
    this.calls.count++;
    this.calls.lastPeerSerial = call?.getAuthContext().sslPeerCertificate?.serialNumber?.toUpperCase();
    return { message: request.message, sequence: this.calls.count };
  }
  override expand(request: ExpandRequest) {
    return super.expand(request);
  }
  override collect(requests: Observable<CollectRequest>) {
    return super.collect(requests);
  }
  override chat(requests: Observable<ChatRequest>) {
    return super.chat(requests);
  }
}

@Module({})
class TlsEchoModule {
  static forRoot(server: Partial<MeshGrpcModuleOptions>): DynamicModule {
    return {
      module: TlsEchoModule,
      imports: [
        MeshGrpcModule.forRoot({
          name: 'echo',
          services: [EchoServiceService],
          deregisterDelayMs: 0,
          descriptorSet,
          ...server,
        }),
      ],
      controllers: [CountingEchoController],
      providers: [HandlerCalls, EchoLog],
    };
  }
}

export interface TlsEchoServer {
  app: INestApplicationContext;
  server: MeshGrpcServer;
  port: number;
  calls: HandlerCalls;
}

/** The certificates of a TLS test: a CA, a server certificate for `echo`, a client's, and another CA. */
export interface TestCertificates {
  ca: TestCa;
  otherCa: TestCa;
  server: IssuedCertificate;
  client: IssuedCertificate;
  foreignClient: IssuedCertificate;
  close(): Promise<void>;
}

export async function testCertificates(): Promise<TestCertificates> {
  const ca = await createTestCa();
  const otherCa = await createTestCa('another-ca');
  return {
    ca,
    otherCa,
    server: await ca.issue('echo', { dns: ['echo'], ips: ['127.0.0.1'] }),
    client: await ca.issue('order', { dns: ['order'] }),
    foreignClient: await otherCa.issue('order', { dns: ['order'] }),
    close: async () => {
      await Promise.all([ca.close(), otherCa.close()]);
    },
  };
}

/** Server TLS options with `certificate`: TLS, or mutual TLS with `clientAuth: 'require'`. */
export function serverTls(
  ca: TestCa,
  certificate: { certFile: string; keyFile: string },
  extra: Partial<MeshTlsOptions> = {},
) {
  return { caFile: ca.caFile, certFile: certificate.certFile, keyFile: certificate.keyFile, ...extra };
}

function capture(logs: string[]): LoggerService {
  const push = (level: string) => (message: unknown) => void logs.push(`${level} ${String(message)}`);
  return {
    log: push('log'),
    warn: push('warn'),
    error: push('error'),
    debug: push('debug'),
    verbose: push('verbose'),
  };
}

/** Everything a TLS test started, stopped by `stop()` (in an afterEach) even when it failed. */
export class TlsRig {
  private readonly apps: INestApplicationContext[] = [];

  /** A server app; with `logs`, what Nest's Logger writes is pushed there as `<level> <message>`. */
  async server(options: Partial<MeshGrpcModuleOptions>, logs?: string[]): Promise<TlsEchoServer> {
    const module = TlsEchoModule.forRoot(options);
    const app = logs
      ? await NestFactory.createApplicationContext(module, { logger: capture(logs), abortOnError: false })
      : await startContext(module);
    if (logs) await app.init();
    this.apps.push(app);
    const server = app.get(MeshGrpcServer);
    return { app, server, port: server.port, calls: app.get(HandlerCalls) };
  }

  /** A mesh client dialling `mesh:///echo`, which discovery resolves to 127.0.0.1:`port`. */
  async client(port: number, options: Partial<MeshClientOptions> = {}): Promise<Echo> {
    const url = await registryOf('echo', [port]);
    const { app, echo } = await startEchoClient(url, 'echo', { timeoutMs: 10_000, ...options });
    this.apps.push(app);
    return echo;
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }
}
