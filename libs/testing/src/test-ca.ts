import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { requireBinary } from './child-process.js';

const run = promisify(execFile);

/** A certificate and its key issued by a {@link TestCa}, as PEM files (and their text). */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface IssueOptions {
  /** DNS names for the subjectAltName. Default: `[commonName]` unless `ips` is given. */
  readonly dns?: readonly string[];
  /** IP addresses for the subjectAltName (`127.0.0.1`, `::1`). */
  readonly ips?: readonly string[];
  /** Validity in days. Default 2. */
  readonly days?: number;
}

/** A throwaway certificate authority in a temporary directory, made with the `openssl` CLI. */
export interface TestCa {
  readonly dir: string;
  /** The CA certificate (PEM file) peers verify against. */
  readonly caFile: string;
  readonly ca: string;
  /**
   * Issues a certificate usable by servers and clients alike (extendedKeyUsage serverAuth +
   * clientAuth), with a fresh P-256 key, into `<dir>/<fileName ?? commonName>.{crt,key}`.
   */
  issue(
    commonName: string,
    options?: IssueOptions & { readonly fileName?: string },
  ): Promise<IssuedCertificate>;
  /** Deletes the directory. */
  close(): Promise<void>;
}

/**
 * Creates a CA (self-signed, P-256, valid 2 days) for a test's TLS servers and clients. Needs
 * `openssl` (Debian package `openssl`); fails naming it when missing, never skips.
 */
export async function createTestCa(name = 'nestmesh-test-ca'): Promise<TestCa> {
  requireBinary('openssl', 'openssl');
  const dir = await mkdtemp(join(tmpdir(), 'nestmesh-ca-'));
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  try {
    await openssl(
      ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ['-keyout', caKeyFile, '-out', caFile, '-days', '2', '-subj', `/CN=${name}`],
      ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const ca = await readFile(caFile, 'utf8');
  let serial = 0;
  return {
    dir,
    caFile,
    ca,
    issue: async (commonName, options = {}) => {
      const base = join(dir, options.fileName ?? commonName);
      const paths = {
        certFile: `${base}.crt`,
        keyFile: `${base}.key`,
        csr: `${base}.csr`,
        ext: `${base}.ext`,
      };
      await writeFile(paths.ext, extensions(commonName, options));
      await openssl(
        ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ['-keyout', paths.keyFile, '-out', paths.csr, '-subj', `/CN=${commonName}`],
      );
      serial += 1;
      await openssl(
        ['x509', '-req', '-in', paths.csr, '-CA', caFile, '-CAkey', caKeyFile],
        ['-set_serial', String(Date.now() * 1000 + serial), '-days', String(options.days ?? 2)],
        ['-out', paths.certFile, '-extfile', paths.ext],
      );
      await Promise.all([rm(paths.csr), rm(paths.ext)]);
      const [cert, key] = await Promise.all([
        readFile(paths.certFile, 'utf8'),
        readFile(paths.keyFile, 'utf8'),
      ]);
      return { certFile: paths.certFile, keyFile: paths.keyFile, cert, key };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The v3 extensions of an issued certificate: its SANs, and usable on both ends of a connection. */
function extensions(commonName: string, { dns, ips = [] }: IssueOptions): string {
  for (const ip of ips) if (!isIP(ip)) throw new Error(`testing: "${ip}" is not an IP address`);
  const names = [
    ...(dns ?? (ips.length ? [] : [commonName])).map((name) => `DNS:${name}`),
    ...ips.map((ip) => `IP:${ip}`),
  ];
  return [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    ...(names.length ? [`subjectAltName=${names.join(',')}`] : []),
    '',
  ].join('\n');
}

async function openssl(...argumentGroups: string[][]): Promise<void> {
  try {
    await run('openssl', argumentGroups.flat(), { timeout: 30_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`testing: openssl ${argumentGroups[0].join(' ')} failed: ${stderr ?? String(error)}`);
  }
}
