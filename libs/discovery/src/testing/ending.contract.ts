import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

import { RegistryUnavailableError } from '../discovery.errors.js';
import type { DiscoveryContractSubject } from './discovery.contract.js';
import { contractInstance } from './discovery.contract.js';
import { startSilentServer } from './silent-server.js';
import { within } from './until.js';

/** How a watch ends: by abort, `close()`, or an unanswered registry (part of discoveryContract). */
export function endingContract(subjectOf: () => DiscoveryContractSubject): void {
  it('aborting ends a watch at once without an error: already aborted, before the first list, or waiting for a change', async () => {
    const subject = subjectOf();
    const service = `svc-${randomUUID()}`;
    const one = contractInstance(service, 5101);
    await subject.backend.register(one);
    for await (const _list of subject.backend.watch(service, { signal: AbortSignal.abort() })) {
      assert.fail('a watch on an aborted signal yields nothing');
    }
    const early = new AbortController();
    const first = subject.backend.watch(service, { signal: early.signal })[Symbol.asyncIterator]().next();
    early.abort();
    assert.deepEqual(await within(first, subject.endsWithinMs), { value: { value: undefined, done: true } });

    const waiting = new AbortController();
    const watch = subject.backend.watch(service, { signal: waiting.signal })[Symbol.asyncIterator]();
    assert.deepEqual((await watch.next()).value, [one]);
    const change = watch.next();
    waiting.abort();
    assert.deepEqual(await within(change, subject.endsWithinMs), { value: { value: undefined, done: true } });
    await subject.backend.deregister(one);
  });

  it('close() ends every open watch without an error, later watches end at once, and nothing keeps the process alive', async () => {
    const subject = subjectOf();
    const script = fileURLToPath(new URL('./close-watches.child.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [script, subject.url, JSON.stringify(subject.childImports ?? []), String(subject.endsWithinMs)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    let stderr = '';
    const lineArrived = new EventEmitter();
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        lines.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        lineArrived.emit('line');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    const line = async (count: number) => {
      while (lines.length < count && child.exitCode === null)
        await Promise.race([once(lineArrived, 'line'), exited]);
      return lines[count - 1];
    };
    try {
      // Start-up (imports, connecting, registering, watching) is not what is under test: the
      // suite's timeout bounds it. From "closing" on, everything is bounded by endsWithinMs.
      assert.ok(await line(1), `the child exited before closing: ${stderr}`);
      const closed = await within(line(2), subject.endsWithinMs * 2);
      assert.ok(
        closed !== 'pending' && 'value' in closed && closed.value,
        `no report after close(): ${stderr}`,
      );
      const report = JSON.parse(closed.value) as {
        outcomes: string[];
        afterClose: string;
        endedInMs: number;
      };
      assert.deepEqual(report.outcomes, ['ended', 'ended', 'ended'], 'close() ends every watch');
      assert.equal(report.afterClose, 'ended', 'a watch after close() ends at once');
      assert.ok(
        report.endedInMs < subject.endsWithinMs,
        `the watches ended ${report.endedInMs} ms after close(), over ${subject.endsWithinMs}`,
      );
      const exit = await within(exited, subject.endsWithinMs * 2);
      assert.notEqual(exit, 'pending', `the process did not exit by itself after close(): ${stderr}`);
      assert.equal(child.exitCode, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a registry that accepts connections and never answers: the watch fails with RegistryUnavailableError in time, and an abort ends it at once', async (t) => {
    const subject = subjectOf();
    if (!subject.unresponsive) return t.skip('an in-process registry always answers');
    const server = await startSilentServer();
    const backend = subject.unresponsive.connect(server.hostPort);
    try {
      const controller = new AbortController();
      const aborted = backend.watch('svc', { signal: controller.signal })[Symbol.asyncIterator]().next();
      controller.abort();
      assert.deepEqual(await within(aborted, subject.endsWithinMs), {
        value: { value: undefined, done: true },
      });

      const started = performance.now();
      const failed = await within(
        backend.watch('svc')[Symbol.asyncIterator]().next(),
        subject.unresponsive.failWithinMs,
      );
      assert.ok(
        failed !== 'pending' && 'error' in failed && failed.error instanceof RegistryUnavailableError,
        `expected RegistryUnavailableError within ${subject.unresponsive.failWithinMs} ms, got ${JSON.stringify(failed)} after ${Math.round(performance.now() - started)} ms`,
      );
    } finally {
      await backend.close?.();
      server.close();
    }
  });
}
