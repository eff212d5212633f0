// The files of a minimal Nest app that lives outside this repository and uses NestMesh as an
// npm user would: its own .proto, generated with the recipe of docs/contracts.md, a server and
// a mesh client of it in one app, found by name through memory:// discovery.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { spawnOwned } from '@nestmesh/testing';

import { repositoryRoot } from './packed-libs.js';

export const greeterProto = `syntax = "proto3";

package greeter.v1;

import "google/protobuf/timestamp.proto";

message SayHelloRequest {
  string name = 1;
  int64 times = 2;
  google.protobuf.Timestamp sent_at = 3;
}

message SayHelloResponse {
  string message = 1;
  int64 times = 2;
  google.protobuf.Timestamp sent_at = 3;
}

service GreeterService {
  rpc SayHello(SayHelloRequest) returns (SayHelloResponse);
}
`;

/** Prints one JSON line: what the mesh client got back, and the port the server bound. */
export const consumerMain = `import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DiscoveryModule } from '@nestmesh/discovery';
import { InjectMeshClient, MeshClientModule, MeshGrpcModule, MeshGrpcServer, type MeshClient } from '@nestmesh/grpc';

import {
  GreeterServiceControllerMethods,
  GreeterServiceService,
  type GreeterServiceController,
  type SayHelloRequest,
  type SayHelloResponse,
} from './generated/greeter/v1/greeter.js';

@Controller()
@GreeterServiceControllerMethods()
class GreeterController implements GreeterServiceController {
  sayHello(request: SayHelloRequest): SayHelloResponse {
    return { message: \`hello \${request.name}\`, times: request.times * 2n, sentAt: request.sentAt };
  }
}

@Injectable()
class Caller {
  constructor(
    @InjectMeshClient(GreeterServiceService) readonly greeter: MeshClient<typeof GreeterServiceService>,
  ) {}
}

@Module({
  imports: [
    DiscoveryModule.forRoot({ url: 'memory://outside' }),
    MeshGrpcModule.forRoot({ name: 'greeter', services: [GreeterServiceService] }),
    MeshClientModule.register({ service: 'greeter', definition: GreeterServiceService }),
  ],
  controllers: [GreeterController],
  providers: [Caller],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
await app.init();
try {
  const sentAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  const reply = await app.get(Caller).greeter.sayHello({ name: 'outside', times: 2n ** 60n, sentAt });
  const port = app.get(MeshGrpcServer).port;
  const times = reply.times.toString();
  console.log(JSON.stringify({ message: reply.message, times, sentAt: reply.sentAt?.toISOString(), port }));
} finally {
  await app.close();
}
`;

/** A strict nodenext project, as Nest's own starter sets decorators up; libraries' .d.ts checked too. */
export const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    useDefineForClassFields: false,
    skipLibCheck: false,
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

/** The version this repository's lockfile installed, so the outside app runs what we test with. */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/**
 * The blocks of docs/contracts.md's "Your own contracts": `buf.yaml`, `buf.gen.yaml` and the
 * command that removes ts-proto's protobufjs Timestamp wrapper, so the test runs the recipe as
 * documented.
 */
export function documentedRecipe(): { bufYaml: string; bufGenYaml: string; stripTimestampWrapper: string } {
  const docs = readFileSync(join(repositoryRoot, 'docs/contracts.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## Your own contracts'));
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
  const bufYaml = blocks.find((block) => block.includes('modules:'));
  const bufGenYaml = blocks.find((block) => block.includes('plugins:'));
  const shell = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  const stripTimestampWrapper = shell.find((block) => block.includes('protobufjs'));
  if (!bufYaml || !bufGenYaml || !stripTimestampWrapper)
    throw new Error(
      'docs/contracts.md: "Your own contracts" lacks buf.yaml, buf.gen.yaml or the protobufjs step',
    );
  return { bufYaml, bufGenYaml, stripTimestampWrapper };
}

/** The ts-proto options (`- key=value` lines) of a buf.gen.yaml. */
export function tsProtoOptions(bufGenYaml: string): string[] {
  return [...bufGenYaml.matchAll(/^\s*- (\w+=\S+)\s*$/gm)].map((match) => match[1]).sort();
}

export interface Finished {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs a command to its end, owned by this process (it dies with it) and killed after
 * `timeoutMs`; rejects with its output when it fails.
 */
export async function runToEnd(
  command: string,
  args: readonly string[],
  { cwd, timeoutMs, env = process.env }: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Finished> {
  const started = performance.now();
  const child: ChildProcess = spawnOwned(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    const durationMs = performance.now() - started;
    if (code !== 0) {
      const why = signal ? `killed by ${signal} after ${Math.round(durationMs)} ms` : `exit code ${code}`;
      throw new Error(`${command} ${args.join(' ')}: ${why}\n${stdout}\n${stderr}`);
    }
    return { stdout, stderr, durationMs };
  } finally {
    clearTimeout(timer);
  }
}
