import { Logger } from '@nestjs/common';
import { Backoff } from '@nestmesh/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import type { ServiceInstance } from '../service-instance.js';
import { watchWithRetry } from '../watch-with-retry.js';
import {
  HaproxyBackend,
  serverNameOf,
  type HaproxyServerState,
  type ServerTarget,
} from './haproxy.backend.js';
import { HaproxyRuntimeApi } from './haproxy.runtime-api.js';

/** HAProxy's admin-state flag of a server put in maintenance (`set server … state maint`). */
const FORCED_MAINTENANCE = 0x01;
import {
  resolveHaproxySyncOptions,
  type HaproxySyncOptions,
  type ResolvedHaproxySyncOptions,
} from './haproxy-sync.options.js';

/** A running sync; see {@link syncHaproxyBackend}. */
export interface HaproxyBackendSync {
  /**
   * Ends the watch and the loop, abandoning a command in flight, and resolves once both have
   * ended. Servers stay as they are in HAProxy: a sync started later takes over from there.
   */
  stop(): Promise<void>;
}

/**
 * Keeps one HAProxy backend's servers equal to a service's live instances, through HAProxy's
 * runtime API. Each reconcile reads the backend (`show servers state`) and acts on the
 * difference: an instance without a server gets one (`add server`, then ready); a server whose
 * instance left is drained (`state drain`: no new sessions), and once its sessions and queue
 * are at 0, or `drainTimeoutMs` has passed, put in maintenance and its sessions shut; it is
 * deleted on a later pass, once none is left and `deleteDelayMs` has passed (an immediate
 * delete can crash HAProxy before 2.9).
 * Because every pass starts from HAProxy's own state, a restarted sync, a restarted HAProxy
 * (re-read every `resyncIntervalMs`) or a failed command converge on the next pass. Failures
 * are reported to `onError` and retried with backoff; nothing throws out of the loop.
 * Invalid options throw `InvalidDiscoveryOptionsError` at once.
 */
export function syncHaproxyBackend(options: HaproxySyncOptions): HaproxyBackendSync {
  return new BackendSync(resolveHaproxySyncOptions(options));
}

class BackendSync implements HaproxyBackendSync {
  private readonly stopping = new AbortController();
  private readonly backend: HaproxyBackend;
  private readonly backoff: Backoff;
  private readonly logger = new Logger('HaproxyBackendSync');
  /** Server name → when its drain started, on `options.now`. */
  private readonly draining = new Map<string, number>();
  /** Server name → when it was put in maintenance and its sessions shut (deleted later). */
  private readonly closing = new Map<string, number>();
  private instances: ServiceInstance[] | undefined;
  private changed = false;
  private wake: (() => void) | undefined;
  private readonly running: Promise<unknown>;

  constructor(private readonly options: ResolvedHaproxySyncOptions) {
    const api = new HaproxyRuntimeApi(options.runtimeApi, options.commandTimeoutMs);
    this.backend = new HaproxyBackend(api, options.backend);
    this.backoff = new Backoff(options.retryBackoff);
    this.running = Promise.all([this.watch(), this.loop()]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async watch(): Promise<void> {
    const { discovery, service } = this.options;
    const signal = this.stopping.signal;
    const onError = (error: unknown, retryInMs: number) => this.report(error, retryInMs);
    for await (const instances of watchWithRetry(discovery, service, { signal, onError })) {
      this.instances = instances;
      this.changed = true;
      this.wake?.();
    }
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let delayMs = this.options.resyncIntervalMs;
      if (this.instances) {
        this.changed = false;
        try {
          const stillDraining = await this.reconcile(this.instances);
          this.backoff.reset();
          if (stillDraining) delayMs = Math.min(delayMs, this.options.drainPollIntervalMs);
        } catch (error) {
          if (signal.aborted) return;
          delayMs = this.backoff.next();
          this.report(error, delayMs);
        }
      }
      await this.pause(delayMs);
    }
  }

  /** Waits `delayMs`, or less if the instances change or the sync stops. */
  private async pause(delayMs: number): Promise<void> {
    if (this.changed || this.stopping.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      this.wake = done;
      this.stopping.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** One pass from HAProxy's state to the instances'; true while some server is still draining. */
  private async reconcile(instances: readonly ServiceInstance[]): Promise<boolean> {
    const signal = this.stopping.signal;
    const targets = await this.targetsOf(instances);
    const managed = (await this.backend.servers(signal)).filter((server) =>
      server.name.startsWith(this.options.serverNamePrefix),
    );
    const current = new Map(managed.map((server) => [server.name, server]));
    for (const [name, target] of targets) await this.keep(name, target, current.get(name));
    for (const pending of [this.draining, this.closing]) {
      for (const name of pending.keys()) if (!current.has(name)) pending.delete(name);
    }
    const leaving = managed.filter((server) => !targets.has(server.name));
    if (leaving.length > 0) await this.retire(leaving);
    return this.draining.size > 0 || this.closing.size > 0;
  }

  /** Makes the server of a live instance exist, point at it, and take traffic. */
  private async keep(name: string, target: ServerTarget, server: HaproxyServerState | undefined) {
    const signal = this.stopping.signal;
    this.draining.delete(name);
    this.closing.delete(name);
    if (!server) return this.backend.add(name, target, this.options, signal);
    if (server.address !== target.address || server.port !== target.port) {
      await this.backend.moveTo(name, target, signal);
    }
    if (server.adminState !== 0) await this.backend.ready(name, this.options, signal);
  }

  /**
   * Drains servers whose instance left; shuts those drained empty or past the drain timeout;
   * deletes those shut `deleteDelayMs` ago with nothing left on them.
   */
  private async retire(leaving: readonly HaproxyServerState[]): Promise<void> {
    const signal = this.stopping.signal;
    const { now, drainTimeoutMs, deleteDelayMs } = this.options;
    for (const { name, adminState } of leaving) {
      if (this.draining.has(name) || this.closing.has(name)) continue;
      // Found in maintenance (a restarted sync, or one shut by hand): its sessions are shut again.
      if (adminState & FORCED_MAINTENANCE) {
        await this.backend.shut(name, signal);
        this.closing.set(name, now());
        continue;
      }
      await this.backend.drain(name, signal);
      this.draining.set(name, now());
    }
    // Counted after the drain, so no session can start between the count and the shut.
    const sessions = await this.backend.sessions(signal);
    for (const { name } of leaving) {
      const busy = (sessions.get(name) ?? 0) > 0;
      const drainingSince = this.draining.get(name);
      if (drainingSince !== undefined) {
        if (busy && now() - drainingSince < drainTimeoutMs) continue;
        await this.backend.shut(name, signal);
        this.draining.delete(name);
        this.closing.set(name, now());
      } else if (!busy && now() - this.closing.get(name)! >= deleteDelayMs) {
        await this.backend.delete(name, signal);
        this.closing.delete(name);
      }
    }
  }

  /**
   * Server name → IP and port of each instance; a host name is resolved (HAProxy would not). An
   * instance whose name does not resolve is reported and left out until a later pass resolves it.
   */
  private async targetsOf(instances: readonly ServiceInstance[]): Promise<Map<string, ServerTarget>> {
    const targets = new Map<string, ServerTarget>();
    for (const instance of instances) {
      const port = this.options.portOf ? this.options.portOf(instance) : instance.port;
      // An instance without the port this backend needs (no HTTP side, say) gets no server.
      if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) continue;
      let address = instance.address;
      if (!isIP(address)) {
        try {
          address = (await lookup(address)).address;
        } catch (error) {
          this.report(error, this.options.resyncIntervalMs);
          continue;
        }
      }
      targets.set(serverNameOf(this.options.serverNamePrefix, instance.id), { address, port });
    }
    return targets;
  }

  private report(error: unknown, retryInMs: number): void {
    if (this.options.onError) return this.options.onError(error, retryInMs);
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(`${this.options.backend}: ${message}; retrying in ${Math.round(retryInMs)} ms`);
  }
}
