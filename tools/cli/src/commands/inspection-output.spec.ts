import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatalogInstance } from '@nestmesh/discovery';

import { leaderJson, leaderTable } from './leader.command.js';
import { locksTable, remainingText } from './locks.command.js';
import { servicesJson, servicesTable } from './services.command.js';

const now = new Date('2026-11-30T20:10:00Z');

const instance = (id: string, extra: Partial<CatalogInstance> = {}): CatalogInstance => ({
  id,
  name: 'inventory',
  address: '10.0.0.5',
  port: 50051,
  tags: ['blue'],
  metadata: { zone: 'b', grpcServices: 'inventory.v1.InventoryService' },
  health: 'passing',
  registeredAt: new Date('2026-11-30T20:05:00Z'),
  ...extra,
});

describe('services output', () => {
  it('one row per instance, with health, since, age, tags and sorted metadata', () => {
    const table = servicesTable(
      [
        {
          name: 'inventory',
          instances: [
            instance('inventory-1'),
            instance('inventory-2', {
              health: 'critical',
              healthDetail: 'dial tcp: refused',
              registeredAt: undefined,
            }),
          ],
        },
      ],
      now,
    );
    assert.deepEqual(table.split('\n'), [
      'SERVICE    INSTANCE     ADDRESS         HEALTH                        SINCE                 UP     TAGS  METADATA',
      'inventory  inventory-1  10.0.0.5:50051  passing                       2026-11-30T20:05:00Z  5m00s  blue  grpcServices=inventory.v1.InventoryService zone=b',
      'inventory  inventory-2  10.0.0.5:50051  critical (dial tcp: refused)  -                     -      blue  grpcServices=inventory.v1.InventoryService zone=b',
      '',
    ]);
  });

  it('--json: registeredAt as ISO 8601, left out when unknown', () => {
    const json = JSON.parse(
      JSON.stringify(
        servicesJson([
          { name: 'inventory', instances: [instance('a'), instance('b', { registeredAt: undefined })] },
        ]),
      ),
    ) as {
      services: { instances: { id: string; registeredAt?: string; target: string; health: string }[] }[];
    };
    const [first, second] = json.services[0].instances;
    assert.equal(first.registeredAt, '2026-11-30T20:05:00.000Z');
    assert.equal(first.target, '10.0.0.5:50051');
    assert.equal(first.health, 'passing');
    assert.equal('registeredAt' in second, false);
  });
});

describe('leader output', () => {
  const state = {
    group: 'inventory',
    leader: { candidateId: 'inventory-1', epoch: 12n, since: new Date('2026-11-30T20:09:18Z') },
    lastEpoch: 12n,
  };

  it('a table with the leader, epoch, since and for how long; - while the lease is free', () => {
    assert.deepEqual(leaderTable([state, { group: 'reports', lastEpoch: 3n }], now).split('\n'), [
      'GROUP      LEADER       EPOCH  SINCE                 FOR  LAST EPOCH',
      'inventory  inventory-1  12     2026-11-30T20:09:18Z  42s  12',
      'reports    -            -      -                     -    3',
      '',
    ]);
  });

  it('--json: epochs as strings, since ISO, leader null when free', () => {
    assert.equal(
      JSON.stringify(leaderJson(state), (_key, value: unknown) =>
        typeof value === 'bigint' ? `${value}n` : value,
      ),
      '{"group":"inventory","leader":{"candidateId":"inventory-1","epoch":"12n","since":"2026-11-30T20:09:18.000Z"},"lastEpoch":"12n"}',
    );
    assert.deepEqual(leaderJson({ group: 'reports', lastEpoch: 3n }), {
      group: 'reports',
      leader: null,
      lastEpoch: 3n,
    });
  });
});

describe('locks output', () => {
  it('lease left in the largest sensible unit', () => {
    assert.deepEqual([0, 850.4, 4_240, 59_999, 725_000].map(remainingText), [
      '0ms',
      '850ms',
      '4.2s',
      '1m00s',
      '12m05s',
    ]);
  });

  it('a table of key, owner, fencing token, lease left', () => {
    const table = locksTable([
      { key: 'sku:A-1', owner: 'inventory-1:3f2a', fencingToken: 9007199254740993n, remainingMs: 4_200 },
    ]);
    assert.deepEqual(table.split('\n'), [
      'KEY      OWNER             FENCING TOKEN     REMAINING',
      'sku:A-1  inventory-1:3f2a  9007199254740993  4.2s',
      '',
    ]);
  });
});
