import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { SamplingDecision, TracerProvider } from '@opentelemetry/sdk-trace';

import { RatioSampler } from './ratio-sampler.js';

/** Deterministic trace ids (a 32-bit LCG per 8 hex digits): the same set on every run. */
function traceIds(count: number, seed = 1): string[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state.toString(16).padStart(8, '0');
  };
  return Array.from({ length: count }, () => next() + next() + next() + next());
}

function withParent(traceFlags: number, overrides: Partial<SpanContext> = {}): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags,
    isRemote: true,
    ...overrides,
  });
}

const sampled = (sampler: RatioSampler, context: Context, traceId: string) =>
  sampler.shouldSample(context, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;

describe('RatioSampler', () => {
  it('samples a root when the rightmost 56 bits of its trace id reach (1 − ratio) × 2^56', () => {
    const quarter = new RatioSampler(0.25);
    // 0.75 × 2^56 = 0xc0000000000000: the threshold itself is sampled, one below it is not.
    assert.equal(quarter.sampledRoot('ffffffffffffffffffc0000000000000'), true);
    assert.equal(quarter.sampledRoot('ffffffffffffffffffbfffffffffffff'), false);
    // Only the rightmost 56 bits count: the leftmost 72 do not change the decision.
    assert.equal(quarter.sampledRoot('000000000000000001c0000000000000'), true);
    assert.equal(quarter.sampledRoot('000000000000000000bfffffffffffff'), false);
    assert.equal(quarter.sampledRoot('000000000000000000ffffffffffffff'), true);
  });

  it('ratio 0 samples no root and ratio 1 every root; out-of-range ratios are clamped', () => {
    const ids = traceIds(2000);
    for (const ratio of [0, -1, Number.NaN]) {
      assert.equal(ids.filter((id) => new RatioSampler(ratio).sampledRoot(id)).length, 0, `ratio ${ratio}`);
    }
    for (const ratio of [1, 2]) {
      assert.equal(ids.filter((id) => new RatioSampler(ratio).sampledRoot(id)).length, ids.length);
    }
    assert.equal(new RatioSampler(0).sampledRoot('ffffffffffffffffffffffffffffffff'), false);
  });

  it('is consistent: a root sampled at one ratio is sampled at every larger ratio, at about that ratio', () => {
    const ids = traceIds(20_000, 7);
    const ratios = [0.001, 0.01, 0.1, 0.5, 0.9];
    const sets = ratios.map((ratio) => new Set(ids.filter((id) => new RatioSampler(ratio).sampledRoot(id))));
    for (let index = 1; index < sets.length; index++) {
      for (const id of sets[index - 1]) assert.ok(sets[index].has(id), `${id} at ${ratios[index]}`);
    }
    // A fixed id set, so these counts are fixed; the bounds are 5 standard deviations wide.
    ratios.forEach((ratio, index) => {
      const expected = ids.length * ratio;
      const spread = 5 * Math.sqrt(expected * (1 - ratio));
      assert.ok(
        Math.abs(sets[index].size - expected) <= spread,
        `${sets[index].size} of ${ids.length} at ${ratio}`,
      );
    });
  });

  it('an invalid trace id is never sampled', () => {
    const all = new RatioSampler(1);
    for (const id of [
      '',
      '0af7651916cd43dd8448eb211c80319',
      '0af7651916cd43dd8448eb211c80319cc',
      '0AF7651916CD43DD8448EB211C80319C',
      '0af7651916cd43dd8448eb211c80319g',
      '00000000000000000000000000000000',
    ]) {
      assert.equal(all.sampledRoot(id), false, JSON.stringify(id));
    }
  });

  it('parent-based: a valid parent decides, remote or local; an invalid parent leaves it to the ratio', () => {
    const none = new RatioSampler(0);
    const all = new RatioSampler(1);
    const id = traceIds(1)[0];
    assert.equal(sampled(none, withParent(TraceFlags.SAMPLED), id), true);
    assert.equal(sampled(none, withParent(TraceFlags.SAMPLED, { isRemote: false }), id), true);
    assert.equal(sampled(all, withParent(TraceFlags.NONE), id), false);
    assert.equal(sampled(all, withParent(TraceFlags.NONE, { isRemote: false }), id), false);
    assert.equal(sampled(all, withParent(TraceFlags.NONE, { spanId: '0000000000000000' }), id), true);
    assert.equal(sampled(none, withParent(TraceFlags.SAMPLED, { traceId: 'nope' }), id), false);
  });

  it('not parent-based (traceidratio): the ratio decides even under a parent', () => {
    const none = new RatioSampler(0, false);
    const id = traceIds(1)[0];
    assert.equal(sampled(none, withParent(TraceFlags.SAMPLED), id), false);
    assert.equal(sampled(new RatioSampler(1, false), withParent(TraceFlags.NONE), id), true);
    assert.equal(none.toString(), 'TraceIdRatioBased{0}');
    assert.equal(new RatioSampler(0.5).toString(), 'ParentBased{root=TraceIdRatioBased{0.5}}');
  });

  it('drives the SDK tracer: recording spans exactly where it samples', () => {
    const provider = new TracerProvider({ sampler: new RatioSampler(0.5) });
    const tracer = provider.getTracer('test');
    let recorded = 0;
    const sampler = new RatioSampler(0.5);
    for (let index = 0; index < 200; index++) {
      const span = tracer.startSpan('root');
      const { traceId, traceFlags } = span.spanContext();
      assert.equal(span.isRecording(), sampler.sampledRoot(traceId));
      assert.equal((traceFlags & TraceFlags.SAMPLED) !== 0, span.isRecording());
      if (span.isRecording()) recorded++;
      // A child follows its root, whatever its own trace id would say.
      const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, span));
      assert.equal(child.isRecording(), span.isRecording());
      child.end();
      span.end();
    }
    assert.ok(recorded > 0 && recorded < 200, `${recorded} of 200 sampled at 0.5`);
  });
});
