import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, settle } from '@nestmesh/testing';

import { DRAIN_MARGIN_MS, Loadgen, type LoadgenCalls, type LoadgenSettings } from './loadgen.js';
import type { Call } from './request-runner.js';
import type { Outcome } from './stats/request-stats.js';

const SETTINGS: LoadgenSettings = {
  ordersPerSecond: 10,
  stockReadsPerSecond: 10,
  skus: ['A-1', 'B-2'],
  maxInFlight: 4,
  reportMs: 1000,
  timeoutMs: 500,
};

const answer =
  (outcome: Outcome): Call =>
  () =>
    Promise.resolve(outcome);

/** A call that answers only when aborted, as a paused backend's connection does at its timeout. */
const untilAborted: Call = (_sku, signal) =>
  new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve({ result: 'failed', reason: 'AbortError' }), {
      once: true,
    }),
  );

function start(calls: LoadgenCalls, settings: Partial<LoadgenSettings> = {}) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const loadgen = new Loadgen({ ...SETTINGS, ...settings }, calls, clock, (line) => lines.push(line));
  loadgen.start();
  return { clock, lines, loadgen };
}

/** The `name=value` counts of one kind in a summary line. */
function countsOf(line: string, kind: string): Record<string, string> {
  const section = line.split(' | ').find((part) => part.startsWith(`${kind} `));
  assert.ok(section, `${kind} in ${line}`);
  return Object.fromEntries(
    section
      .split(' ')
      .slice(1)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

describe('Loadgen', { timeout: 10_000 }, () => {
  it('runs each kind at its rate, cycles the SKUs, alternates HTTP and gRPC stock reads, reports per interval', async () => {
    const skus: string[] = [];
    const ordered: Call = (sku) => (skus.push(sku), Promise.resolve({ result: 'ok' }));
    const { clock, lines, loadgen } = start({
      order: ordered,
      stockHttp: answer({ result: 'ok' }),
      stockGrpc: answer({ result: 'failed', reason: 'UNAVAILABLE' }),
    });
    await clock.advance(1999);
    assert.equal(lines.length, 1, 'one report per second');
    const first = lines[0];
    assert.match(first, /^loadgen interval 1\.0s \| order /);
    // ticks at 0, 100, …, 900 in the first interval; the one at 1000 falls in the second.
    assert.equal(countsOf(first, 'order').ok, '10');
    assert.equal(countsOf(first, 'stock-http').ok, '5');
    assert.equal(countsOf(first, 'stock-grpc').failed, '5(UNAVAILABLE=5)');
    assert.deepEqual(skus.slice(0, 4), ['A-1', 'B-2', 'A-1', 'B-2']);
    await loadgen.stop();
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('sheds ticks beyond LOADGEN_MAX_IN_FLIGHT instead of piling up requests, then counts them timed out', async () => {
    let started = 0;
    const hanging: Call = (sku, signal) => (started++, untilAborted(sku, signal));
    const { clock, lines, loadgen } = start(
      { order: hanging, stockHttp: answer({ result: 'ok' }) },
      { timeoutMs: 10_000, reportMs: 1000 },
    );
    await clock.advance(999);
    assert.equal(started, SETTINGS.maxInFlight, 'never more than maxInFlight at once');
    assert.equal(loadgen.inFlight, SETTINGS.maxInFlight);
    await clock.advance(1);
    const order = countsOf(lines[0], 'order');
    assert.equal(order.shed, String(10 - SETTINGS.maxInFlight));
    assert.equal(order.ok, '0');
    await clock.advance(9000); // the timeout of the first four
    const stopping = loadgen.stop();
    await clock.advance(SETTINGS.timeoutMs + DRAIN_MARGIN_MS + 10_000);
    await stopping;
    const total = countsOf(lines.at(-1)!, 'order');
    assert.equal(
      Number(total.timeout) + Number(total.shed),
      101,
      'every tick of 10 s at 10/s, plus the one at start',
    );
    assert.equal(total.failed, '0', 'a request ended by the timeout counts as timed out, not failed');
  });

  it('counts the ticks dropped while the process was stalled as missed', async () => {
    const { clock, lines, loadgen } = start({
      order: answer({ result: 'ok' }),
      stockHttp: answer({ result: 'ok' }),
    });
    await clock.advance(50);
    clock.stall(700); // orders due at 100…700: 7, one runs on waking
    await clock.advance(250); // now 1000: the report
    const order = countsOf(lines[0], 'order');
    assert.equal(order.missed, '6');
    // The report at 1000 runs before the order tick at 1000 (armed earlier): ticks 0…900 here.
    assert.equal(Number(order.ok) + Number(order.missed), 10, 'every tick of the interval accounted for');
    await loadgen.stop();
  });

  it('stop stops scheduling, waits for the requests in flight, and prints the last interval and the totals', async () => {
    const pending: (() => void)[] = [];
    const slow: Call = () => new Promise<Outcome>((resolve) => pending.push(() => resolve({ result: 'ok' })));
    const { clock, lines, loadgen } = start(
      { order: slow, stockHttp: answer({ result: 'ok' }) },
      { reportMs: 60_000 },
    );
    await clock.advance(250); // orders at 0, 100, 200 in flight
    let stopped = false;
    const stopping = loadgen.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'waits for the three in flight');
    for (const finish of pending.splice(0)) finish();
    await stopping;
    assert.equal(pending.length, 0, 'nothing scheduled after stop');
    assert.equal(clock.pending, 0);
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^loadgen interval 0\.3s/);
    assert.match(lines[1], /^loadgen total 0\.3s \| order ok=3 failed=0 timeout=0/);
  });

  it('a request that ignores its abort does not hold the stop beyond its timeout and the drain margin', async () => {
    const ignoring: Call = () => new Promise<Outcome>(() => undefined);
    const { clock, lines, loadgen } = start(
      { order: ignoring, stockHttp: answer({ result: 'ok' }) },
      { ordersPerSecond: 1 },
    );
    await clock.advance(10);
    let stopped = false;
    const stopping = loadgen.stop().then(() => (stopped = true));
    await clock.advance(SETTINGS.timeoutMs + DRAIN_MARGIN_MS - 20);
    assert.equal(stopped, false);
    await clock.advance(20);
    await stopping;
    assert.ok(
      lines.some((line) => /1 request\(s\) still in flight after the drain were abandoned/.test(line)),
    );
  });
});
