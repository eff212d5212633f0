#!/usr/bin/env node
// `npm run dev`: the demo, rebuilt and restarted on every save. TypeScript's own watch mode
// (`tsc -b --watch`, incremental over the project references) rebuilds what a change affects,
// and Node's `--watch` restarts the demo when a file it loaded changes (its dist files and
// those of the libs it imports). The demo starts once the first build is done. Ctrl-C (or
// SIGTERM) stops both, and this script exits when both have. Env as for `npm start` (PORT,
// HOST, …); DEV_ENTRY runs another entry instead (e.g. apps/order/dist/main.js).
// Runs under scripts/on-supported-node.mjs (the demo needs Node 22.15+), see docs/dev-loop.md.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.env.DEV_ENTRY ?? 'apps/demo/dist/main.js';
// tsc prints this after each build in watch mode ("Found 0 errors. Watching for file changes.").
const BUILD_DONE = /Watching for file changes\./;

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
let stopping = false;

/**
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').StdioOptions} stdio
 */
function start(command, args, stdio) {
  const child = spawn(command, args, { cwd: root, stdio });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      console.error(`dev: ${command} ${args.join(' ')} ended (${signal ?? `exit ${code}`}); stopping`);
      stop(code ?? 1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
  return child;
}

/** @param {number} exitCode */
function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  if (children.size === 0) process.exit(exitCode);
  // The demo drains on SIGTERM as it does in production; tsc has nothing to drain.
  for (const child of children) child.kill('SIGTERM');
}

const tsc = start(
  join(root, 'node_modules/.bin/tsc'),
  ['-b', '--watch', '--preserveWatchOutput'],
  ['ignore', 'pipe', 'inherit'],
);
let app = /** @type {import('node:child_process').ChildProcess | undefined} */ (undefined);
tsc.stdout?.setEncoding('utf8');
tsc.stdout?.on('data', (/** @type {string} */ text) => {
  process.stdout.write(text);
  if (!app && !stopping && BUILD_DONE.test(text)) {
    // --watch-preserve-output: keep the build's output and the previous run's last lines.
    app = start(process.execPath, ['--watch', '--watch-preserve-output', entry], 'inherit');
  }
});

// A terminal's Ctrl-C reaches the children too (one process group); they end on their own and
// the SIGTERM that follows is harmless. A signal sent to this process alone is passed on.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => stop(0));
}
