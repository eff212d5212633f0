import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { explainTlsFailure, reasonOf, type TlsDial } from './tls-failure.js';

// The details grpc-js 1.14 gives an UNAVAILABLE status on Node 20 and 24 (copied from real runs)
const wrapped = (reason: string) => `No connection established. Last error: ${reason}. Resolution note: `;
const DETAILS = {
  nameMismatch: wrapped(
    "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: order. is not in the cert's altnames: DNS:inventory",
  ),
  untrusted: wrapped('Error: self-signed certificate in certificate chain'),
  noClientCertificate: wrapped(
    '403D282C4C7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 116\n (2026-11-30T22:08:47.342Z)',
  ),
  closed: wrapped('Failed to connect (2026-11-30T22:08:47.437Z)'),
  reset: wrapped('read ECONNRESET (2026-11-30T22:31:57.901Z)'),
  plaintextServer: wrapped(
    'Error: 403D282C4C7F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n',
  ),
  refused: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
};

const dial: TlsDial = {
  target: '127.0.0.1:4000',
  serverName: 'order',
  caFile: '/ca.crt',
  certFile: '/me.crt',
};

describe('explainTlsFailure', { timeout: 10_000 }, () => {
  it('a name mismatch names the name checked and the flag that changes it', () => {
    const text = explainTlsFailure(DETAILS.nameMismatch, dial)!;
    assert.match(
      text,
      /^the certificate of 127\.0\.0\.1:4000 does not carry the name "order" that was checked/,
    );
    assert.match(text, /Host: order\. is not in the cert's altnames: DNS:inventory/);
    assert.match(text, /--tls-server-name/);
  });

  it('an untrusted certificate names the CA bundle and --tls-ca', () => {
    const text = explainTlsFailure(DETAILS.untrusted, dial)!;
    assert.match(
      text,
      /not trusted by the CA bundle \/ca\.crt \(self-signed certificate in certificate chain\)/,
    );
    assert.match(text, /--tls-ca or GRPC_TLS_CA/);
  });

  it('a server asking for a client certificate says which flags present one', () => {
    const text = explainTlsFailure(DETAILS.noClientCertificate, { ...dial, certFile: undefined })!;
    assert.match(text, /requires a client certificate \(mutual TLS\) \(tlsv13 alert certificate required\)/);
    assert.match(text, /--tls-cert <file> --tls-key <file>/);
  });

  it('a connection closed or reset before it was established, a certificate presented: refused certificate', () => {
    assert.match(explainTlsFailure(DETAILS.closed, dial)!, /refuses a client certificate .*\/me\.crt/);
    assert.match(
      explainTlsFailure(DETAILS.reset, dial)!,
      /\(read ECONNRESET\).*refuses a client certificate/,
    );
    assert.equal(explainTlsFailure(DETAILS.closed, { ...dial, certFile: undefined }), undefined);
  });

  it('a plaintext server says --plaintext', () => {
    assert.match(
      explainTlsFailure(DETAILS.plaintextServer, dial)!,
      /does not speak TLS \(wrong version number\).*--plaintext/,
    );
  });

  it('leaves failures TLS does not explain alone', () => {
    assert.equal(explainTlsFailure(DETAILS.refused, dial), undefined);
    assert.equal(explainTlsFailure('deadline exceeded', dial), undefined);
  });

  it('reasonOf strips grpc-js wrapping, error names, OpenSSL codes and timestamps', () => {
    assert.equal(reasonOf(DETAILS.closed), 'Failed to connect');
    assert.equal(reasonOf(DETAILS.untrusted), 'self-signed certificate in certificate chain');
    assert.equal(reasonOf('plain text'), 'plain text');
  });
});
