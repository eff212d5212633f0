import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceInstance } from '@nestmesh/discovery';

import { changeLines, diffInstances, outageLine } from './watch.command.js';

const instance = (id: string, port: number): ServiceInstance => ({
  id,
  name: 'inventory',
  address: '127.0.0.1',
  port,
  tags: [],
  metadata: {},
});

describe('watch', () => {
  const now = new Date('2026-11-30T20:01:02.345Z');

  it('finds who joined and who left by id, and counts a moved instance as both', () => {
    const a = instance('a', 1);
    const b = instance('b', 2);
    const c = instance('c', 3);
    assert.deepEqual(diffInstances([a, b], [b, c]), { joined: [c], left: [a] });
    assert.deepEqual(diffInstances([a], [a]), { joined: [], left: [] });
    assert.deepEqual(diffInstances([a], [instance('a', 9)]), { joined: [instance('a', 9)], left: [a] });
  });

  it('prints - left before + joined, each with the time', () => {
    const lines = changeLines({ joined: [instance('c', 3)], left: [instance('a', 1)] }, now, false);
    assert.equal(
      lines,
      '2026-11-30T20:01:02Z - left a 127.0.0.1:1\n2026-11-30T20:01:02Z + joined c 127.0.0.1:3\n',
    );
  });

  it('prints one JSON object per change and per outage with --json', () => {
    const [left] = changeLines({ joined: [], left: [instance('a', 1)] }, now, true)
      .trim()
      .split('\n');
    assert.deepEqual(JSON.parse(left), {
      time: '2026-11-30T20:01:02.345Z',
      event: 'left',
      instance: {
        id: 'a',
        name: 'inventory',
        address: '127.0.0.1',
        port: 1,
        target: '127.0.0.1:1',
        tags: [],
        metadata: {},
      },
    });
    assert.deepEqual(JSON.parse(outageLine(new Error('discovery: etcd watch failed'), 400, now, true)), {
      time: '2026-11-30T20:01:02.345Z',
      event: 'unavailable',
      error: 'discovery: etcd watch failed',
      retryInMs: 400,
    });
    assert.equal(
      outageLine(new Error('discovery: etcd watch failed'), 399.6, now, false),
      '2026-11-30T20:01:02Z ! discovery: etcd watch failed (retrying in 400 ms)\n',
    );
  });
});
