import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { GrpcTlsConfigError } from '../grpc.errors.js';

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** Reads a file at startup; a missing or unreadable one is a GrpcTlsConfigError naming the setting. */
function readSetting(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new GrpcTlsConfigError(setting, `file ${path} ${reason}`, { cause: error });
  }
}

/** The first certificate of a PEM file (a chain or a CA bundle); the error never quotes the file. */
export function readCertificateFile(path: string, setting: string): X509Certificate {
  const contents = readSetting(path, setting);
  const problem = `file ${path} is not a PEM certificate (expected ${PEM_CERTIFICATE})`;
  if (!contents.includes(PEM_CERTIFICATE)) throw new GrpcTlsConfigError(setting, problem);
  try {
    return new X509Certificate(contents);
  } catch (error) {
    throw new GrpcTlsConfigError(setting, problem, { cause: error });
  }
}

/** An unencrypted PEM private key (grpc-js takes no passphrase). */
export function readKeyFile(path: string, setting: string): KeyObject {
  const contents = readSetting(path, setting);
  try {
    return createPrivateKey({ key: contents, format: 'pem' });
  } catch (error) {
    throw new GrpcTlsConfigError(setting, `file ${path} is not an unencrypted PEM private key`, {
      cause: error,
    });
  }
}

/**
 * Why a certificate and key read during rotation cannot be used together, or undefined when
 * they can. A rotation replaces two files, and a re-read may fall between the two renames.
 */
export function identityProblem(certificate: Buffer, privateKey: Buffer): string | undefined {
  try {
    const parsed = new X509Certificate(certificate);
    const key = createPrivateKey({ key: privateKey, format: 'pem' });
    return parsed.checkPrivateKey(key) ? undefined : 'the key does not match the certificate';
  } catch (error) {
    return `the files do not parse (${(error as Error).message})`;
  }
}

/** Why a CA bundle read during rotation cannot be used, or undefined when it can. */
export function caProblem(bundle: Buffer): string | undefined {
  if (!bundle.includes(PEM_CERTIFICATE)) return 'the CA file holds no PEM certificate';
  try {
    new X509Certificate(bundle);
    return undefined;
  } catch (error) {
    return `the CA file does not parse (${(error as Error).message})`;
  }
}

/** Subject, SANs, serial and expiry for the startup log: public parts only, never the key. */
export function describeCertificate(certificate: X509Certificate): string {
  const names = certificate.subjectAltName ?? 'none';
  const subject = certificate.subject.replaceAll('\n', ', ');
  return `subject "${subject}", SANs ${names}, serial ${certificate.serialNumber}, expires ${new Date(certificate.validTo).toISOString()}`;
}
