#!/usr/bin/env node
// The `nestmesh` command: see docs/cli.md. Exit codes are in exit-codes.ts.
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';

import { CallFailedError } from './cli.errors.js';
import { detailLines } from './call/call-status.js';
import { cliErrorOf } from './error-translation.js';
import { EXIT_CODES } from './exit-codes.js';
import { jsonLine } from './output/json.js';
import { commanderExitCode, createProgram } from './program.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Says what went wrong (one line on stderr; a call's status and details under --json on stdout). */
function report(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) return commanderExitCode(error.exitCode);
  const failure = cliErrorOf(error);
  if (failure instanceof CallFailedError) {
    if (json) process.stdout.write(jsonLine({ error: failure.status }));
    process.stderr.write(`${failure.message}\n${detailLines(failure.status)}`);
  } else if (failure.code !== 'INTERRUPTED') {
    process.stderr.write(`${failure.message}\n`);
  }
  return failure.exitCode;
}

async function main(): Promise<number> {
  const program = createProgram(version);
  try {
    await program.parseAsync(process.argv);
    return EXIT_CODES.ok;
  } catch (error) {
    return report(error, program.opts<{ json?: boolean }>().json ?? false);
  }
}

// exitCode, not exit(): what is still being written to a pipe gets out first
process.exitCode = await main();
