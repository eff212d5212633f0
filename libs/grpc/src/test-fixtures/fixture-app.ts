// Starts the fixture InventoryService app with the test's own controller and enhancers, as a
// plain application context or, when a test needs `app.useGlobal*()`, as an HTTP app (never
// listening: the gRPC server is what the test calls).
import type {
  INestApplication,
  INestApplicationContext,
  LoggerService,
  Provider,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { testLogger } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import assert from 'node:assert/strict';

import { meshClientToken } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import type { MeshGrpcModuleOptions } from '../server/mesh-grpc.module-definition.js';
import { FixtureModule } from './fixture-inventory.js';

export type InventoryClient = MeshClient<typeof InventoryServiceService>;

export interface FixtureAppOptions {
  controller: Type;
  providers?: Provider[];
  /** `app.useGlobalPipes(…)` and the like; makes the app an HTTP app (not listening). */
  configure?: (app: INestApplication) => void;
  logger?: LoggerService;
  /** MeshGrpcModule options over the fixture's. */
  server?: Partial<MeshGrpcModuleOptions>;
}

export interface FixtureApp {
  app: INestApplicationContext;
  client: InventoryClient;
}

export async function startFixtureApp(options: FixtureAppOptions): Promise<FixtureApp> {
  const module = FixtureModule.forRoot({
    registry: `memory://${randomUUID()}`,
    withoutController: true,
    server: options.server,
  });
  module.controllers = [options.controller];
  module.providers = [...(module.providers ?? []), ...(options.providers ?? [])];
  const settings = { logger: options.logger ?? testLogger(), abortOnError: false };
  let app: INestApplicationContext;
  if (options.configure) {
    const httpApp = await NestFactory.create(module, settings);
    options.configure(httpApp);
    app = httpApp;
  } else {
    app = await NestFactory.createApplicationContext(module, settings);
  }
  try {
    await app.init();
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, client: app.get(meshClientToken(InventoryServiceService)) };
}

/** The RpcError a call that must fail rejects with (fails the test if it succeeds). */
export async function callFailure(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => assert.fail('the call succeeded'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
  return error;
}

/** A Nest logger that keeps what it is given, to assert on what the server logged. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: string }[] = [];

  log(message: unknown): void {
    this.record('log', message);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', [message, ...rest].map(String).join(' '));
  }
  warn(message: unknown): void {
    this.record('warn', message);
  }
  debug(message: unknown): void {
    this.record('debug', message);
  }
  verbose(message: unknown): void {
    this.record('verbose', message);
  }

  /** The entries of `level` whose message contains `text`. */
  matching(level: string, text: string): string[] {
    return this.entries
      .filter((entry) => entry.level === level && entry.message.includes(text))
      .map((entry) => entry.message);
  }

  private record(level: string, message: unknown): void {
    this.entries.push({ level, message: message instanceof Error ? String(message.stack) : String(message) });
  }
}
