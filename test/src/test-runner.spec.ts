import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnOwned, waitFor } from '@nestmesh/testing';

// scripts/run-tests.mjs's guards, on fixture files run the way it runs every spec file.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const watchdog = pathToFileURL(join(root, 'scripts/test-file-watchdog.mjs')).href;
const fixture = (name: string) => join(root, 'test/dist/fixtures', `${name}.fixture.js`);

/** `node --test` on one fixture file under the watchdog; the runner dies with this process. */
function runFixture(name: string, env: Record<string, string> = {}) {
  // Node marks a test file's process with NODE_TEST_CONTEXT; a runner started from one must not
  // inherit it, or it takes itself for a file and runs nothing. Nor should fixtures add timings.
  const { NODE_TEST_CONTEXT: _fileMark, NESTMESH_TEST_TIMINGS: _timings, ...inherited } = process.env;
  const runner = spawnOwned(process.execPath, ['--import', watchdog, '--test', fixture(name)], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  runner.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(runner, 'exit').then(([code]) => code as number | null);
  return { runner, output: () => output, exited };
}

/** Whether `pid` is a live process (a zombie, dead but not yet reaped, is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the test runner never hangs and leaves nothing behind', () => {
  const leftovers: number[] = [];
  after(() => {
    for (const pid of leftovers.filter(alive)) process.kill(pid, 'SIGKILL');
  });

  it('a file whose tests passed but whose process keeps running fails, naming the file and what is open', async () => {
    const run = runFixture('leaks-a-handle', { NESTMESH_TEST_GRACE_MS: '200' });
    assert.equal(await run.exited, 1, run.output());
    assert.match(
      run.output(),
      /run-tests: test\/dist\/fixtures\/leaks-a-handle\.fixture\.js: its tests ended 200 ms ago but the process is still running; still open: .*Timeout/,
    );
  });

  it('a file that outruns the file limit fails, naming the file', async () => {
    const run = runFixture('never-ends', { NESTMESH_TEST_FILE_TIMEOUT_MS: '300' });
    assert.equal(await run.exited, 1, run.output());
    assert.match(
      run.output(),
      /run-tests: test\/dist\/fixtures\/never-ends\.fixture\.js: still running after the file limit of 300 ms/,
    );
  });

  it('SIGKILL of the runner: the file process exits, and its redis-server and other children die with it', async (t) => {
    if (process.platform !== 'linux') return t.skip('a parent-death signal exists only on Linux');
    const run = runFixture('starts-redis');
    const pids = (
      await waitFor(() => /file-pid=(\d+) redis-pid=(\d+) plain-pid=(\d+)/.exec(run.output()) ?? undefined, {
        timeoutMs: 60_000,
        signal: t.signal,
        description: 'the pids of the file process, its redis-server and its plain child',
      })
    )
      .slice(1)
      .map(Number);
    leftovers.push(...pids);
    assert.ok(pids.every(alive), 'all three run');
    run.runner.kill('SIGKILL');
    await run.exited;
    await waitFor(() => !pids.some(alive), {
      signal: t.signal,
      description: `processes ${pids.join(', ')} to end`,
    });
  });
});
