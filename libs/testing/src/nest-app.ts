import { NestFactory } from '@nestjs/core';
import type {
  DynamicModule,
  INestApplication,
  INestApplicationContext,
  LogLevel,
  Type,
} from '@nestjs/common';
import type { AddressInfo, Server } from 'node:net';

/** Nest's logger in tests: silent unless NESTMESH_TEST_LOGS is set. */
export function testLogger(): LogLevel[] | false {
  return process.env.NESTMESH_TEST_LOGS ? ['log', 'warn', 'error', 'debug'] : false;
}

/** Creates and initialises a Nest application context (no HTTP) for `module`. */
export async function startContext(module: Type | DynamicModule): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, {
    logger: testLogger(),
    abortOnError: false,
  });
  return app.init();
}

/** Creates an HTTP Nest app for `module` on 127.0.0.1 port 0; returns it and its base URL. */
export async function startHttpApp(
  module: Type | DynamicModule,
  configure: (app: INestApplication) => INestApplication = (app) => app,
): Promise<{ app: INestApplication; url: string }> {
  const app = configure(await NestFactory.create(module, { logger: testLogger(), abortOnError: false }));
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}
