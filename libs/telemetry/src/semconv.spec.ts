import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as stable from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';

import * as ours from './semconv.js';

/** Values the conventions define only in their incubating (development) set. */
const INCUBATING = new Set(['DB_SYSTEM_NAME_VALUE_REDIS']);

describe('semconv.ts', () => {
  it('every standard name is the one @opentelemetry/semantic-conventions defines', () => {
    const standard = Object.entries(ours).filter(
      ([name, value]) =>
        typeof value === 'string' && !value.startsWith('nestmesh.') && !name.includes('NESTMESH'),
    );
    assert.ok(standard.length > 20, 'the standard names are checked');
    for (const [name, value] of standard) {
      const source = (INCUBATING.has(name) ? incubating : stable) as Record<string, unknown>;
      assert.equal(source[name], value, `${name} must equal the package's ${name}`);
    }
  });

  it("NestMesh's own names live under nestmesh.", () => {
    for (const [name, value] of Object.entries(ours)) {
      if (name.includes('NESTMESH')) assert.match(String(value), /^nestmesh\./, name);
    }
  });
});
