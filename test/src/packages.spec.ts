// What `npm pack` would publish for each lib: the package a user installs, checked file by file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import {
  exportTargets,
  isTool,
  mapSources,
  packageNameOf,
  packLibs,
  reachableFiles,
  specifiersOf,
  type PackedLib,
} from './support/packed-libs.js';

/** One copy of each in the app: Nest's DI, grpc-js' registries, OpenTelemetry's globals, backend clients. */
const appOwned = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  '@grpc/grpc-js',
  'rxjs',
  'reflect-metadata',
  '@opentelemetry/api',
  'ioredis',
  'etcd3',
  'consul',
];

/** Files every tarball has besides the code (npm adds package.json and README.md itself). */
const packageFiles = new Set(['package.json', 'README.md', 'LICENSE']);

function builtFiles(lib: PackedLib): string[] {
  return [...lib.files].filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'));
}

/** The shipped files a user can reach, with their maps and the sources those maps name. */
function allowedFiles(lib: PackedLib, reachable: Set<string>): Set<string> {
  const allowed = new Set([...packageFiles, ...reachable]);
  for (const file of reachable) {
    // a module's declarations and its runtime file go together, though only one may be named
    // (a type-only module's .js is empty; a .js whose types no other declaration names)
    if (file.endsWith('.js')) allowed.add(file.replace(/\.js$/, '.d.ts'));
    if (file.endsWith('.d.ts')) allowed.add(file.replace(/\.d\.ts$/, '.js'));
  }
  for (const file of [...allowed]) {
    const map = `${file}.map`;
    if (!lib.files.has(map)) continue;
    allowed.add(map);
    for (const source of mapSources(lib, map)) allowed.add(source);
  }
  return allowed;
}

describe('npm pack of every lib', { timeout: 120_000 }, () => {
  let libs: PackedLib[];
  before(async () => {
    libs = await packLibs();
  });

  it('publishable: not private, versioned, described, licensed, with engines, repository and a README', () => {
    for (const { folder, manifest, files } of libs) {
      assert.equal(manifest.private, undefined, `${folder} is private`);
      assert.match(manifest.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/, `${folder} version`);
      for (const field of ['description', 'license', 'engines'] as const)
        assert.ok(manifest[field], `${folder} has no ${field}`);
      assert.equal(manifest.repository?.directory, `${folder}`, `${folder} repository.directory`);
      assert.ok(files.has('README.md'), `${folder} ships no README.md`);
      assert.equal(
        manifest.publishConfig?.access,
        'public',
        `${folder}: a scoped package is private unless told`,
      );
    }
  });

  it('ships no spec file, and a test fixture only where an export runs it', () => {
    for (const lib of libs) {
      const allowed = allowedFiles(lib, reachableFiles(lib));
      for (const file of lib.files) {
        assert.doesNotMatch(file, /\.spec\./, `${lib.manifest.name} ships a spec: ${file}`);
        if (/test-fixtures\/|\.fixture\./.test(file))
          assert.ok(allowed.has(file), `${lib.manifest.name} ships a fixture no export uses: ${file}`);
      }
    }
  });

  it('every exports target, and every file an export imports or runs, is in the tarball', () => {
    for (const lib of libs) {
      for (const subpath of Object.keys(lib.manifest.exports ?? {})) {
        const target = lib.manifest.exports?.[subpath];
        if (subpath !== './package.json')
          assert.ok(
            typeof target === 'object' && target.types,
            `${lib.manifest.name} "${subpath}" has no types`,
          );
      }
      for (const target of exportTargets(lib.manifest))
        assert.ok(lib.files.has(target), `${lib.manifest.name}: exports target ${target} is not packed`);
      for (const file of reachableFiles(lib))
        assert.ok(lib.files.has(file), `${lib.manifest.name}: ${file} is imported but not packed`);
    }
  });

  it('ships nothing an export cannot reach (no test helpers), besides maps and their sources', () => {
    for (const lib of libs) {
      const allowed = allowedFiles(lib, reachableFiles(lib));
      const extra = [...lib.files].filter((file) => !allowed.has(file));
      assert.deepEqual(extra, [], `${lib.manifest.name} ships files no export reaches`);
    }
  });

  it("every shipped source map's sources are in the tarball", () => {
    for (const lib of libs) {
      for (const map of [...lib.files].filter((file) => file.endsWith('.map')))
        for (const source of mapSources(lib, map))
          assert.ok(lib.files.has(source), `${lib.manifest.name}: ${map} points at ${source}, not packed`);
    }
  });

  it('every package a shipped file imports is a dependency or a peer dependency', () => {
    for (const lib of libs) {
      const declared = new Set([
        lib.manifest.name,
        ...Object.keys(lib.manifest.dependencies ?? {}),
        ...Object.keys(lib.manifest.peerDependencies ?? {}),
      ]);
      for (const file of builtFiles(lib)) {
        const source = readFileSync(join(lib.directory, file), 'utf8');
        for (const name of specifiersOf(source).map(packageNameOf))
          if (name)
            assert.ok(declared.has(name), `${lib.manifest.name}: ${file} imports ${name}, undeclared`);
      }
    }
  });

  it("what the user's app owns is a peer, never a dependency of ours", () => {
    for (const { manifest } of libs.filter((lib) => !isTool(lib)))
      for (const name of appOwned)
        assert.equal(
          manifest.dependencies?.[name],
          undefined,
          `${manifest.name} depends on ${name}: make it a peer`,
        );
  });

  it('backend clients are optional peers; the workspace libs depend on each other at their current versions', () => {
    const versions = new Map(libs.map((lib) => [lib.manifest.name, lib.manifest.version]));
    for (const { manifest } of libs) {
      for (const client of ['ioredis', 'etcd3', 'consul'])
        if (manifest.peerDependencies?.[client])
          assert.equal(
            manifest.peerDependenciesMeta?.[client]?.optional,
            true,
            `${manifest.name}: ${client}`,
          );
      const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
      for (const [name, range] of Object.entries(ranges))
        if (versions.has(name))
          assert.equal(range, `^${versions.get(name)}`, `${manifest.name} depends on ${name}@${range}`);
    }
  });
});
