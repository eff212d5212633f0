// An app outside this repository installs the packed libs from tarballs, its other dependencies
// from the npm registry (the versions our lockfile has; --prefer-offline uses the npm cache),
// generates its contracts with docs/contracts.md's recipe, type-checks with tsc, and serves and
// calls a service by name. No install script runs (--ignore-scripts): the app needs none.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  consumerMain,
  consumerTsconfig,
  documentedRecipe,
  greeterProto,
  lockedVersion,
  runToEnd,
  tsProtoOptions,
} from './support/outside-consumer-app.js';
import { packLibs, repositoryRoot, type PackedLib } from './support/packed-libs.js';

/** What the app imports itself; the libs it needs bring the rest. */
const appLibs = ['@nestmesh/grpc', '@nestmesh/discovery'];
/** Besides the libs' peers: what generated code imports, and the tools. */
const appDependencies = ['@bufbuild/protobuf'];
const appDevDependencies = ['typescript', '@types/node', '@bufbuild/buf', 'ts-proto'];
/** Generous: a cold npm cache downloads ~100 packages; a busy 2-core machine runs tsc in ~30 s. */
const installTimeoutMs = 300_000;
const stepTimeoutMs = 120_000;

/** The libs the app installs: its own and every @nestmesh package they depend on. */
function libClosure(libs: PackedLib[]): PackedLib[] {
  const byName = new Map(libs.map((lib) => [lib.manifest.name, lib]));
  const needed = new Set<string>();
  const visit = (name: string) => {
    const lib = byName.get(name);
    if (!lib || needed.has(name)) return;
    needed.add(name);
    for (const dependency of Object.keys(lib.manifest.dependencies ?? {})) visit(dependency);
  };
  appLibs.forEach(visit);
  return [...needed].map((name) => byName.get(name) as PackedLib);
}

function pinned(names: Iterable<string>): Record<string, string> {
  return Object.fromEntries([...names].sort().map((name) => [name, lockedVersion(name)]));
}

/** package.json: tarballs for our libs (and overrides, so no @nestmesh name is ever looked up in the registry). */
function consumerManifest(libs: PackedLib[], tarballs: string): object {
  const peers = new Set<string>();
  for (const { manifest } of libs)
    for (const name of Object.keys(manifest.peerDependencies ?? {}))
      if (!manifest.peerDependenciesMeta?.[name]?.optional) peers.add(name);
  const tarballOf = (lib: PackedLib) => `file:${join(tarballs, lib.filename)}`;
  return {
    name: 'outside-consumer',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(libs.map((lib) => [lib.manifest.name, tarballOf(lib)])),
      ...pinned([...peers, ...appDependencies]),
    },
    devDependencies: pinned(appDevDependencies),
    overrides: Object.fromEntries(libs.map((lib) => [lib.manifest.name, `$${lib.manifest.name}`])),
  };
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** This run's npm settings (npm_config_* of an `npm test`) are not the outside app's. */
function outsideEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
}

describe('an app outside this repository, on the packed libs', { timeout: 900_000 }, () => {
  let work: string;
  let app: string;
  const env = outsideEnvironment();
  const timings: string[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'nestmesh-outside-'));
    app = join(work, 'app');
    mkdirSync(app);
  });
  after(() => {
    console.log(`outside consumer: ${timings.join(', ')}`);
    rmSync(work, { recursive: true, force: true });
  });

  it('installs the tarballs and its own dependencies, with no install script', async () => {
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const started = performance.now();
    const libs = libClosure(await packLibs(tarballs));
    timings.push(`pack ${Math.round(performance.now() - started)} ms`);
    write(app, { 'package.json': JSON.stringify(consumerManifest(libs, tarballs), null, 2) });
    const install = await runToEnd(
      'npm',
      ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: app, env, timeoutMs: installTimeoutMs },
    );
    timings.push(`npm install ${Math.round(install.durationMs)} ms`);
    for (const lib of libs) {
      const installed = JSON.parse(
        readFileSync(join(app, 'node_modules', lib.manifest.name, 'package.json'), 'utf8'),
      ) as { version: string };
      assert.equal(installed.version, lib.manifest.version, `${lib.manifest.name} from its tarball`);
    }
  });

  it("generates its contracts with docs/contracts.md's recipe, the options proto/buf.gen.yaml uses", async () => {
    const { bufYaml, bufGenYaml, stripTimestampWrapper } = documentedRecipe();
    const ours = readFileSync(join(repositoryRoot, 'proto/buf.gen.yaml'), 'utf8');
    assert.deepEqual(tsProtoOptions(bufGenYaml), tsProtoOptions(ours), 'the documented options are ours');
    write(app, {
      'buf.yaml': bufYaml,
      'buf.gen.yaml': bufGenYaml,
      'proto/greeter/v1/greeter.proto': greeterProto,
    });
    const buf = join(app, 'node_modules/@bufbuild/buf/bin/buf');
    const generate = await runToEnd(process.execPath, [buf, 'generate'], {
      cwd: app,
      env,
      timeoutMs: stepTimeoutMs,
    });
    timings.push(`buf generate ${Math.round(generate.durationMs)} ms`);
    const generatedPath = join(app, 'src/generated/greeter/v1/greeter.ts');
    assert.match(
      readFileSync(generatedPath, 'utf8'),
      /import \{ wrappers \} from "protobufjs"/,
      'a Timestamp field',
    );
    await runToEnd('sh', ['-c', stripTimestampWrapper], { cwd: app, env, timeoutMs: stepTimeoutMs });
    const generated = readFileSync(generatedPath, 'utf8');
    assert.match(generated, /export const GreeterServiceService = \{/);
    assert.doesNotMatch(generated, /protobufjs/, 'the documented step removed the protobufjs wrapper');
  });

  it('type-checks and builds with tsc, the libraries’ declarations included (skipLibCheck: false)', async () => {
    write(app, {
      'tsconfig.json': JSON.stringify(consumerTsconfig, null, 2),
      'src/main.ts': consumerMain,
    });
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    const build = await runToEnd(process.execPath, [tsc, '-p', '.'], {
      cwd: app,
      env,
      timeoutMs: stepTimeoutMs,
    });
    timings.push(`tsc ${Math.round(build.durationMs)} ms`);
  });

  it('serves GreeterService and calls it by name through a mesh client (memory:// discovery)', async () => {
    const run = await runToEnd(process.execPath, ['dist/main.js'], {
      cwd: app,
      env,
      timeoutMs: stepTimeoutMs,
    });
    timings.push(`run ${Math.round(run.durationMs)} ms`);
    const reply = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as {
      message: string;
      times: string;
      sentAt: string;
      port: number;
    };
    assert.equal(reply.message, 'hello outside');
    assert.equal(reply.times, String(2n ** 61n), 'int64 as an exact bigint, both ways');
    assert.equal(reply.sentAt, '2026-01-02T03:04:05.678Z', 'google.protobuf.Timestamp as a Date, both ways');
    assert.ok(reply.port > 0, 'the server bound a real port');
  });
});
