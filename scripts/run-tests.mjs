#!/usr/bin/env node
// Runs every compiled spec (libs/*/dist, apps/*/dist, test/dist) with node's test runner.
// Node 20's runner takes no globs, so the files are listed here. Extra arguments are passed
// through (e.g. `npm test -- --test-name-pattern=drain`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const distDirs = [
  ...['libs', 'apps'].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => join(root, group, name, 'dist')),
  ),
  join(root, 'test/dist'),
].filter((dir) => existsSync(dir));
const specs = distDirs
  .flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.spec.js'))
      .map((file) => join(dir, file)),
  )
  .sort();
if (specs.length === 0) {
  console.error('run-tests: no compiled specs found; run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=4', ...process.argv.slice(2), ...specs],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
