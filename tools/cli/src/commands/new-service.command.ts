import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { CliError, UsageError } from '../cli.errors.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';

/** The generator, relative to the NestMesh repository's root. */
const GENERATOR = 'scripts/new-service.mjs';

/** The NestMesh repository `from` is in (its root has the generator and is named nestmesh). */
export function repositoryRootOf(from: string): string | undefined {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(join(directory, GENERATOR)) && existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'nestmesh') return directory;
    }
    if (dirname(directory) === directory) return undefined;
  }
}

/** The generator failed; it has said why on stderr already. */
class GeneratorFailedError extends CliError {
  constructor(exitCode: number) {
    super('GENERATOR_FAILED', exitCode as ExitCode, `${GENERATOR} exited with ${exitCode}`);
  }
}

/**
 * `nestmesh new service <name>`: runs the repository's generator (docs/generator.md), which
 * adds the proto, the contracts and apps/<name>; its output is passed through, and its exit
 * code is the command's. Outside the NestMesh repository there is no generator to run.
 */
export async function newServiceCommand(name: string): Promise<void> {
  const root = repositoryRootOf(process.cwd());
  if (!root)
    throw new UsageError(
      `new service works inside a clone of the NestMesh repository (no ${GENERATOR} above ${process.cwd()}); ` +
        'see docs/generator.md',
    );
  const child = spawn(process.execPath, [join(root, GENERATOR), name], { cwd: root, stdio: 'inherit' });
  const exitCode = await new Promise<number>((done) => {
    child.on('error', () => done(EXIT_CODES.failed));
    child.on('exit', (code) => done(code ?? EXIT_CODES.failed));
  });
  if (exitCode !== 0) throw new GeneratorFailedError(exitCode);
}
