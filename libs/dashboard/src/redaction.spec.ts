import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { redactUrl } from '@nestmesh/common';

import { redactMetadata } from './redaction.js';

describe('what the dashboard shows carries no secret', { timeout: 10_000 }, () => {
  it('masks passwords and secret query values in URLs anywhere in a text', () => {
    assert.equal(
      redactUrl('lock: redis://app:s3cret@10.0.0.5:6379 unreachable; see consul://h:8500?token=abc'),
      'lock: redis://app:***@10.0.0.5:6379 unreachable; see consul://h:8500?token=***',
    );
    assert.equal(redactUrl('etcd://127.0.0.1:2379?ttl=2'), 'etcd://127.0.0.1:2379?ttl=2');
  });

  it('masks URL credentials in metadata values and hides values whose key names a secret', () => {
    assert.deepEqual(
      redactMetadata({
        'http.port': '3000',
        upstream: 'https://user:hunter2@api.example.com/v1',
        apiKey: 'k-123',
        db_password: 'plain',
        'auth.token': 'x',
      }),
      {
        'http.port': '3000',
        upstream: 'https://user:***@api.example.com/v1',
        apiKey: '***',
        db_password: '***',
        'auth.token': '***',
      },
    );
    assert.deepEqual(redactMetadata(undefined), {});
  });
});
