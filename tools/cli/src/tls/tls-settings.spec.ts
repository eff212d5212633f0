import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceInstance } from '@nestmesh/discovery';

import { TlsError, UsageError } from '../cli.errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { checkTlsSettings } from './instance-channel.js';
import { tlsSettingsOf } from './tls-settings.js';

describe('tlsSettingsOf', { timeout: 10_000 }, () => {
  it('plaintext when neither a flag nor a GRPC_TLS_* variable is set, and with --plaintext', () => {
    assert.equal(tlsSettingsOf({}, {}), undefined);
    assert.equal(tlsSettingsOf({ plaintext: true }, { GRPC_TLS_CA: '/etc/ca.crt' }), undefined);
  });

  it('a flag beats its variable; the error names the flag with its variable (exit 2)', () => {
    const env = { GRPC_TLS_CA: '/from/env/ca.crt' };
    assert.throws(
      () => tlsSettingsOf({ tlsCa: '/from/flag/ca.crt' }, env),
      (error: unknown) =>
        error instanceof UsageError &&
        error.exitCode === EXIT_CODES.usage &&
        error.message ===
          'nestmesh: TLS settings: --tls-ca (GRPC_TLS_CA) file /from/flag/ca.crt does not exist',
    );
    assert.throws(
      () => tlsSettingsOf({}, env),
      /--tls-ca \(GRPC_TLS_CA\) file \/from\/env\/ca\.crt does not exist/,
    );
  });
});

describe('checkTlsSettings', { timeout: 10_000 }, () => {
  const instance = (metadata: Record<string, string>): ServiceInstance => ({
    id: 'inventory-1',
    name: 'inventory',
    address: '127.0.0.1',
    port: 4000,
    tags: [],
    metadata,
  });
  const tls = { caFile: '/ca.crt' };
  const mutual = { caFile: '/ca.crt', certFile: '/me.crt', keyFile: '/me.key' };

  it('a plaintext instance (no grpc_tls) is dialled as the settings say', () => {
    assert.doesNotThrow(() => checkTlsSettings(instance({}), undefined));
    assert.doesNotThrow(() => checkTlsSettings(instance({}), tls));
  });

  it('a TLS instance without settings: exit 9 saying which flags and variables to set', () => {
    assert.throws(
      () => checkTlsSettings(instance({ grpc_tls: 'tls' }), undefined),
      (error: unknown) =>
        error instanceof TlsError &&
        error.exitCode === EXIT_CODES.tls &&
        /serves gRPC over TLS \(registered grpc_tls=tls\).*pass --tls-ca <CA file> or set GRPC_TLS_CA$/.test(
          error.message,
        ),
    );
    assert.doesNotThrow(() => checkTlsSettings(instance({ grpc_tls: 'tls' }), tls));
  });

  it('a mutual TLS instance needs a client certificate too', () => {
    assert.throws(
      () => checkTlsSettings(instance({ grpc_tls: 'mtls' }), undefined),
      /over mutual TLS .*--tls-ca <CA file> --tls-cert <file> --tls-key <file> or set GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY/,
    );
    assert.throws(
      () => checkTlsSettings(instance({ grpc_tls: 'mtls' }), tls),
      /needs a client certificate: pass --tls-cert <file> --tls-key <file>/,
    );
    assert.doesNotThrow(() => checkTlsSettings(instance({ grpc_tls: 'mtls' }), mutual));
  });
});
