import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BufferedSpan, TraceSummary } from '@nestmesh/telemetry';

import { mergeSpans, mergeTraceLists } from './trace-merge.js';

const TRACE = 'a'.repeat(32);

function span(spanId: string, service: string, startTimeMs: number, parentSpanId?: string): BufferedSpan {
  return {
    traceId: TRACE,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: `${service} ${spanId}`,
    kind: 'INTERNAL',
    service,
    startTimeMs,
    durationMs: 1,
    status: { code: 'UNSET' },
    attributes: {},
    events: [],
  };
}

function summary(
  traceId: string,
  root: string,
  startTimeMs: number,
  durationMs: number,
  services: string[],
  errors = 0,
): TraceSummary {
  return { traceId, root, startTimeMs, durationMs, spanCount: 2, errors, services };
}

describe('merging traces kept by several processes', { timeout: 10_000 }, () => {
  it('one entry per trace: counts added, time covering every part, the root of the earliest part', () => {
    const other = 'b'.repeat(32);
    const merged = mergeTraceLists(
      [
        { source: 'order-1', traces: [summary(TRACE, 'POST /orders', 1000, 50, ['order'])] },
        {
          source: 'inventory-1',
          traces: [
            summary(TRACE, 'inventory.v1.InventoryService/Reserve', 1010, 60, ['inventory'], 1),
            summary(other, 'restock', 2000, 5, ['inventory']),
          ],
        },
      ],
      10,
    );
    assert.deepEqual(merged, [
      { ...summary(other, 'restock', 2000, 5, ['inventory']), sources: ['inventory-1'] },
      {
        traceId: TRACE,
        root: 'POST /orders',
        startTimeMs: 1000,
        durationMs: 70,
        spanCount: 4,
        errors: 1,
        services: ['inventory', 'order'],
        sources: ['inventory-1', 'order-1'],
      },
    ]);
  });

  it('keeps the most recent `limit` traces', () => {
    const lists = [
      {
        source: 's',
        traces: [1, 2, 3].map((start) => summary(String(start).repeat(32), 'r', start, 1, ['x'])),
      },
    ];
    assert.deepEqual(
      mergeTraceLists(lists, 2).map((trace) => trace.startTimeMs),
      [3, 2],
    );
  });

  it("one trace's spans from every source: each span once, by start, a parent before its child on a tie", () => {
    const root = span('0001', 'order', 100);
    const client = span('0002', 'order', 101, '0001');
    const server = span('0003', 'inventory', 101, '0002');
    const merged = mergeSpans([[server, span('0004', 'inventory', 103, '0003')], [root, client], [server]]);
    assert.deepEqual(
      merged.map((each) => each.spanId),
      ['0001', '0002', '0003', '0004'],
    );
  });
});
