// `npm run new:service` in a clean clone of this commit: refuses bad names and rolls back a
// failed write without leaving a trace, and generates a service whose own e2e test passes
// unmodified. The clone reuses this checkout's installed packages through a node_modules of
// symlinks (what `npm ci` would install, in milliseconds instead of tens of seconds), with
// @nestmesh/* linked to the clone's own workspaces so that the clone's code is what runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NAME = 'billing';

interface Run {
  status: number | null;
  output: string;
}

// Without the runner's marker, a `node --test` started from here runs its files itself instead
// of reporting to this file's runner.
const { NODE_TEST_CONTEXT: _runnerMarker, ...childEnv } = process.env;

function run(command: string, args: string[], cwd: string): Run {
  const result = spawnSync(command, args, {
    cwd,
    env: childEnv,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function git(cwd: string, ...args: string[]): string {
  const result = run('git', args, cwd);
  assert.equal(result.status, 0, `git ${args.join(' ')}: ${result.output}`);
  return result.output;
}

/** node_modules of `clone`: a link to each installed package of this checkout, but @nestmesh/*. */
function linkNodeModules(clone: string): void {
  const modules = join(clone, 'node_modules');
  mkdirSync(join(modules, '@nestmesh'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '@nestmesh') symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  for (const group of ['libs', 'apps']) {
    for (const folder of readdirSync(join(clone, group))) {
      const manifest = JSON.parse(readFileSync(join(clone, group, folder, 'package.json'), 'utf8')) as {
        name: string;
      };
      const link = join(modules, manifest.name);
      symlinkSync(relative(dirname(link), join(clone, group, folder)), link);
    }
  }
}

function generate(clone: string, name: string): Run {
  return run(process.execPath, ['scripts/new-service.mjs', name], clone);
}

describe('npm run new:service in a clean clone', { timeout: 470_000 }, () => {
  let clone = '';

  before(() => {
    clone = mkdtempSync(join(tmpdir(), 'nestmesh-new-service-'));
    git(root, 'clone', '--quiet', '--shared', '--no-checkout', root, clone);
    git(clone, 'checkout', '--quiet', '--detach', git(root, 'rev-parse', 'HEAD').trim());
    linkNodeModules(clone);
  });
  after(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  const assertClean = () => assert.equal(git(clone, 'status', '--porcelain', '--untracked-files=all'), '');

  it('refuses bad and taken names with a clear message, touching nothing', () => {
    const refusals: [string, RegExp][] = [
      ['Billing', /"Billing" is not a valid service name: use at most 40 lowercase letters/],
      ['9lives', /"9lives" is not a valid service name/],
      ['bad_name', /"bad_name" is not a valid service name/],
      ['class', /"class" is a reserved word/],
      ['inventory', /apps\/inventory already exists/],
      ['echo', /proto package echo is taken/],
      ['', /a service name is required/],
    ];
    for (const [name, message] of refusals) {
      const result = generate(clone, name);
      assert.equal(result.status, 1, `${name}: ${result.output}`);
      assert.match(result.output, message);
      assert.match(result.output, /^new:service: /);
      assertClean();
    }
  });

  it('rolls back every file it wrote when a write fails midway', () => {
    // A folder where the generated contract goes: the proto file is written before it, and
    // must be gone again. Git does not list empty folders, so the obstacle itself is invisible.
    const obstacle = join(clone, 'libs/contracts/src/generated/ledger/v1/ledger.ts');
    mkdirSync(obstacle, { recursive: true });
    try {
      const result = generate(clone, 'ledger');
      assert.equal(result.status, 1, result.output);
      assert.match(result.output, /EISDIR/);
      assertClean();
      assert.ok(!existsSync(join(clone, 'proto/nestmesh/ledger')), 'the proto folder it created is removed');
    } finally {
      rmSync(join(clone, 'libs/contracts/src/generated/ledger'), { recursive: true, force: true });
    }
  });

  it(`generates "${NAME}"; it builds and its own e2e test passes unmodified`, { timeout: 420_000 }, () => {
    const generated = generate(clone, NAME);
    assert.equal(generated.status, 0, generated.output);
    assert.match(generated.output, /Next:/);
    const changed = git(clone, 'status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
      .sort();
    for (const expected of [
      `apps/${NAME}/src/${NAME}.e2e.spec.ts`,
      `libs/contracts/src/generated/${NAME}/v1/${NAME}.ts`,
      'libs/contracts/src/index.ts',
      'nest-cli.json',
      'package-lock.json',
      `proto/nestmesh/${NAME}/v1/${NAME}.proto`,
      'tsconfig.json',
    ]) {
      assert.ok(changed.includes(expected), `${expected} in ${changed.join(', ')}`);
    }
    const tsc = join(clone, 'node_modules/.bin/tsc');
    // The root build names the app among its projects (the reference is wired in), and the
    // app builds with everything it references.
    assert.match(run(tsc, ['-b', '--dry'], clone).output, new RegExp(`apps/${NAME}/tsconfig\\.json`));
    const build = run(tsc, ['-b', `apps/${NAME}`], clone);
    assert.equal(build.status, 0, build.output);
    const spec = `apps/${NAME}/dist/${NAME}.e2e.spec.js`;
    const test = run(process.execPath, ['--test', '--test-reporter=spec', spec], clone);
    assert.equal(test.status, 0, test.output);
    assert.match(test.output, /ℹ pass 1\b/);
    assert.match(test.output, /ℹ fail 0\b/);
  });

  it('refuses a second run for the same name, changing nothing', () => {
    // Staged, the first run's files are the baseline: any change to them, or any new file,
    // shows in the working tree.
    git(clone, 'add', '--all');
    const again = generate(clone, NAME);
    assert.equal(again.status, 1, again.output);
    assert.match(again.output, /new:service: apps\/billing already exists/);
    assert.equal(git(clone, 'diff'), '');
    assert.equal(git(clone, 'ls-files', '--others', '--exclude-standard'), '');
  });
});
