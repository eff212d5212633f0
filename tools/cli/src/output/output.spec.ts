import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { jsonDocument, jsonLine } from './json.js';
import { formatTable } from './table.js';
import { formatAge, formatTime } from './time.js';

describe('formatTable', () => {
  it('aligns columns to the widest cell, upper-cases headers and leaves no trailing spaces', () => {
    const table = formatTable(
      ['id', 'address', 'tags'],
      [
        ['inventory-1', '127.0.0.1:5001', 'blue'],
        ['i2', '10.0.0.12:50051', ''],
      ],
    );
    assert.equal(
      table,
      'ID           ADDRESS          TAGS\n' +
        'inventory-1  127.0.0.1:5001   blue\n' +
        'i2           10.0.0.12:50051  -\n',
    );
  });

  it('shows - for an empty or missing cell, bigints as digits, and control characters as spaces', () => {
    const table = formatTable(['a', 'b', 'c'], [[undefined, 12n, 'x\u001b[2Jy\nz']]);
    assert.equal(table.split('\n')[1], '-  12  x [2Jy z');
  });

  it('prints only the header line for no rows', () => {
    assert.equal(formatTable(['service', 'instances'], []), 'SERVICE  INSTANCES\n');
  });
});

describe('JSON output', () => {
  it('writes bigint as a decimal string, Date as ISO 8601 and leaves undefined fields out', () => {
    const value = { epoch: 9007199254740993n, since: new Date('2026-11-30T20:01:02.345Z'), gone: undefined };
    assert.equal(jsonLine(value), '{"epoch":"9007199254740993","since":"2026-11-30T20:01:02.345Z"}\n');
    assert.equal(jsonDocument({ a: 1n }), '{\n  "a": "1"\n}\n');
  });
});

describe('times', () => {
  const now = new Date('2026-11-30T20:00:00Z');
  it('gives ages in the largest two units', () => {
    const ago = (ms: number) => formatAge(new Date(now.getTime() - ms), now);
    assert.deepEqual(
      [ago(42_000), ago(312_000), ago(3 * 3600_000 + 4 * 60_000), ago(53 * 3600_000)],
      ['42s', '5m12s', '3h04m', '2d05h'],
    );
    assert.equal(formatAge(undefined, now), '-');
    assert.equal(
      formatAge(new Date(now.getTime() + 5000), now),
      '0s',
      'a clock ahead of ours is no negative age',
    );
  });

  it('prints times as UTC to the second', () => {
    assert.equal(formatTime(new Date('2026-11-30T20:01:02.999Z')), '2026-11-30T20:01:02Z');
    assert.equal(formatTime(undefined), '-');
  });
});
