import { readFileSync } from 'node:fs';
import { experimental } from '@grpc/grpc-js';

import { caProblem, identityProblem } from './pem-files.js';

type CaUpdate = experimental.CaCertificateUpdate;
type IdentityUpdate = experimental.IdentityCertificateUpdate;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface CertificateFiles {
  caFile: string;
  certFile?: string;
  keyFile?: string;
  refreshIntervalMs: number;
}

/**
 * grpc-js' FileWatcherCertificateProvider, which re-reads the files every refreshIntervalMs,
 * with three guarantees it lacks:
 * - an update that cannot be used is dropped and the last good one kept: a re-read that falls
 *   between the renames of a rotation (new certificate, old key), or a file briefly missing.
 *   grpc-js would otherwise drop every new connection until the next re-read (server.js:
 *   `setSecureContext` throws → `areCredentialsValid = false`);
 * - an unchanged update is not passed on, so the server does not rebuild its TLS context for
 *   nothing every interval;
 * - the files read (and checked) at startup are served from the first connection on, instead
 *   of connections being refused until the first asynchronous read completes.
 * The re-reads run only while a server or channel listens (grpc-js adds and removes listeners).
 */
export class CheckedCertificateProvider implements experimental.CertificateProvider {
  private readonly files: experimental.FileWatcherCertificateProvider;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private ca: CaUpdate;
  private identity: IdentityUpdate | undefined;

  constructor(
    private readonly config: CertificateFiles,
    /** Told why an update was dropped (the previous certificates stay in use). */
    private readonly onRejected: (problem: string) => void,
  ) {
    this.files = new experimental.FileWatcherCertificateProvider({
      caCertificateFile: config.caFile,
      certificateFile: config.certFile,
      privateKeyFile: config.keyFile,
      refreshIntervalMs: config.refreshIntervalMs,
    });
    this.ca = { caCertificate: readFileSync(config.caFile) };
    if (config.certFile && config.keyFile) {
      this.identity = {
        certificate: readFileSync(config.certFile),
        privateKey: readFileSync(config.keyFile),
      };
    }
  }

  addCaCertificateListener(listener: CaListener): void {
    if (this.caListeners.size === 0) {
      this.files.addCaCertificateListener(this.onCaRead);
      this.unrefTimer();
    }
    this.caListeners.add(listener);
    process.nextTick(listener, this.ca);
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    if (this.caListeners.size === 0) this.files.removeCaCertificateListener(this.onCaRead);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    if (this.identityListeners.size === 0) {
      this.files.addIdentityCertificateListener(this.onIdentityRead);
      this.unrefTimer();
    }
    this.identityListeners.add(listener);
    process.nextTick(listener, this.identity ?? null);
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    if (this.identityListeners.size === 0) this.files.removeIdentityCertificateListener(this.onIdentityRead);
  }

  /**
   * Re-reading files must not keep a process alive on its own: grpc-js keeps a closed
   * channel's subchannels, and so their credentials' watcher, until its pool sweeps them
   * (every 10 s), and a channel never closed would hold it for ever. The timer is the
   * watcher's own (started synchronously when the first listener is added); if a grpc-js
   * version renames it, the re-reads still happen and only this courtesy is lost.
   */
  private unrefTimer(): void {
    const timer: unknown = (this.files as unknown as { refreshTimer?: unknown }).refreshTimer;
    if (timer && typeof timer === 'object' && 'unref' in timer && typeof timer.unref === 'function') {
      (timer as NodeJS.Timeout).unref();
    }
  }

  private readonly onCaRead = (update: CaUpdate | null): void => {
    if (update && update.caCertificate.equals(this.ca.caCertificate)) return;
    const problem = update ? caProblem(update.caCertificate) : `cannot read ${this.config.caFile}`;
    if (problem || !update) return this.onRejected(problem ?? 'no CA');
    this.ca = update;
    for (const listener of this.caListeners) listener(update);
  };

  private readonly onIdentityRead = (update: IdentityUpdate | null): void => {
    const current = this.identity;
    if (
      update &&
      current &&
      update.certificate.equals(current.certificate) &&
      update.privateKey.equals(current.privateKey)
    ) {
      return;
    }
    const problem = update
      ? identityProblem(update.certificate, update.privateKey)
      : `cannot read ${this.config.certFile} and ${this.config.keyFile}`;
    if (problem || !update) return this.onRejected(problem ?? 'no certificate');
    this.identity = update;
    for (const listener of this.identityListeners) listener(update);
  };
}
