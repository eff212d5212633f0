// The OpenTelemetry packages are one coherent set: pinned exactly in package.json, one copy of
// each in the lockfile, the core packages (one release train) at one version. A second copy of
// @opentelemetry/api or core would split the global registration (spans that go nowhere), so
// this fails when an upgrade or a new package drags in another one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as unknown;

/** The core train: released together, one version for all. */
const CORE = ['core', 'resources', 'sdk-trace', 'sdk-metrics', 'context-async-hooks', 'sdk-logs'];

it(
  '@opentelemetry packages: exact pins, one copy each in the lockfile, the core at one version',
  { timeout: 10_000 },
  () => {
    const manifest = readJson('package.json') as { dependencies: Record<string, string> };
    const pinned = Object.entries(manifest.dependencies).filter(([name]) =>
      name.startsWith('@opentelemetry/'),
    );
    assert.ok(pinned.length > 0, 'package.json depends on @opentelemetry packages');
    for (const [name, range] of pinned)
      assert.match(range, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly (got ${range})`);

    const lock = readJson('package-lock.json') as { packages: Record<string, { version?: string }> };
    const copies = new Map<string, string[]>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const match = /(?:^|\/)node_modules\/(@opentelemetry\/[^/]+)$/.exec(path);
      if (match) copies.set(match[1], [...(copies.get(match[1]) ?? []), `${entry.version} at ${path}`]);
    }
    for (const [name, where] of copies)
      assert.equal(where.length, 1, `one copy of ${name}: ${where.join(', ')}`);
    for (const [name, range] of pinned) {
      assert.equal(
        copies.get(name)?.[0]?.split(' ')[0],
        range,
        `${name} in the lockfile is the pinned ${range}`,
      );
    }
    const coreVersions = new Set(
      CORE.flatMap((name) => copies.get(`@opentelemetry/${name}`) ?? []).map((entry) => entry.split(' ')[0]),
    );
    assert.equal(
      coreVersions.size,
      1,
      `the core packages share one version: ${[...coreVersions].join(', ')}`,
    );
  },
);
