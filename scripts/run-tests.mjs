#!/usr/bin/env node
// Runs every compiled spec (libs/*/dist, tools/*/dist, apps/*/dist, test/dist) with node's test runner, four
// files at a time, each in its own process. Arguments that name files or folders run only the
// specs in them (`npm test -- libs/grpc test/dist/demo.e2e.spec.js`); other arguments are
// passed to node's runner (e.g. `npm test -- --test-name-pattern=drain`).
//
// Nothing can hang the run:
// - every test and hook has a timeout (--test-timeout; Node 22's runner applies it to each file
//   as a whole instead, so there it is the file limit);
// - scripts/test-file-watchdog.mjs, loaded into every file's process, fails a file whose tests
//   ended while its process keeps running, or that outruns the file limit, naming the file;
// - a file's process exits when the runner above it is gone, and the servers tests start die
//   with the process that started them (a parent-death signal, see libs/testing);
// - a last-resort limit on the whole run kills it (only a file stuck in synchronous code, whose
//   own timers cannot fire, gets that far).
// The limits are safety nets, far above what a progressing test needs on a loaded machine (the
// slowest, coordination's 10 000 lock round trips across processes, took 120 s with two busy
// loops on two cores). In ms, from the environment: NESTMESH_TEST_TIMEOUT_MS (per test, default
// 240 000), NESTMESH_TEST_FILE_TIMEOUT_MS (per file, 480 000), NESTMESH_TEST_GRACE_MS (20 000).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const concurrency = 4;
const testTimeoutMs = Number(process.env.NESTMESH_TEST_TIMEOUT_MS ?? 240_000);
const fileTimeoutMs = Number(process.env.NESTMESH_TEST_FILE_TIMEOUT_MS ?? 480_000);
process.env.NESTMESH_TEST_FILE_TIMEOUT_MS = String(fileTimeoutMs);

const distDirs = [
  ...['libs', 'tools', 'apps']
    .filter((group) => existsSync(join(root, group)))
    .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name, 'dist'))),
  join(root, 'test/dist'),
].filter((dir) => existsSync(dir));
const paths = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && existsSync(arg));
const runnerArgs = process.argv.slice(2).filter((arg) => !paths.includes(arg));
const selected = paths.map((path) => resolve(path));
const specs = distDirs
  .flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.spec.js'))
      .map((file) => join(dir, file)),
  )
  .filter(
    (spec) => selected.length === 0 || selected.some((path) => spec === path || spec.startsWith(path + '/')),
  )
  .sort();
if (specs.length === 0) {
  console.error(
    selected.length
      ? `run-tests: no compiled spec in ${paths.join(', ')}`
      : 'run-tests: no compiled specs found; run `npm run build` first',
  );
  process.exit(1);
}

const perTest = process.versions.node.split('.')[0] === '22' ? fileTimeoutMs : testTimeoutMs;
const args = [
  '--import',
  pathToFileURL(join(root, 'scripts/test-file-watchdog.mjs')).href,
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${perTest}`,
  ...runnerArgs,
  ...specs,
];
// On Linux the runner itself dies with this script (util-linux's setpriv sets the kernel's
// parent-death signal, then execs node), so killing `npm test` leaves no run behind.
const tied = process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
const runner = tied
  ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...args], {
      stdio: 'inherit',
      cwd: root,
    })
  : spawn(process.execPath, args, { stdio: 'inherit', cwd: root });

const runLimitMs = fileTimeoutMs * Math.ceil(specs.length / concurrency) + 60_000;
const backstop = setTimeout(() => {
  console.error(`run-tests: the run exceeded ${runLimitMs} ms (a file stuck in synchronous code?); killed`);
  runner.kill('SIGKILL');
}, runLimitMs);
// A terminal's Ctrl-C reaches the runner too (same process group): wait for its summary.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => runner.kill('SIGTERM'));
runner.on('exit', (code, signal) => {
  clearTimeout(backstop);
  process.exit(code ?? (signal ? 1 : 0));
});
