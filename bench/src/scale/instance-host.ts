// Many inventory-like instances in one process: each a real grpc-js server on its own port
// (127.0.0.1:0) serving InventoryService.GetStock, registered through the discovery backend's
// Registrar with a lease of its own, as MeshGrpcServer registers an instance. One registry
// client per process (in production each instance has its own).
import { Server, ServerCredentials, status as Status } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createDiscoveryBackend, type DiscoveryBackend, type ServiceInstance } from '@nestmesh/discovery';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { cpuSeconds, settledMemory, wallNow, type Host } from './peer.js';

export const SERVICE = 'inventory';

interface Instance {
  registration: ServiceInstance;
  server: Server;
  calls: number;
}

/** Registration latencies and when the batch started and ended (wall ms). */
export interface RegisterBatch {
  ids: string[];
  startedAt: number;
  finishedAt: number;
  latenciesMs: number[];
}

function unimplemented(_call: unknown, callback: (error: { code: number }) => void) {
  callback({ code: Status.UNIMPLEMENTED });
}

export class InstanceHost implements Host {
  private readonly instances = new Map<string, Instance>();

  private constructor(private readonly backend: DiscoveryBackend) {}

  static async start(url: string): Promise<InstanceHost> {
    return new InstanceHost(await createDiscoveryBackend({ url }));
  }

  handle(operation: string, argument: unknown): Promise<unknown> {
    const options = (argument ?? {}) as { count?: number; jitterMs?: number };
    switch (operation) {
      case 'add':
        return this.add(options.count ?? 1);
      case 'remove':
        return this.remove(options.count ?? 1);
      case 'restart':
        return this.restart(options.jitterMs ?? 0);
      case 'counts':
        return Promise.resolve(this.takeCounts());
      case 'stats':
        return Promise.resolve({
          ...settledMemory(),
          cpuSeconds: cpuSeconds(),
          instances: this.instances.size,
          retried: this.retried,
        });
      default:
        return Promise.reject(new Error(`unknown operation ${operation}`));
    }
  }

  /** Starts `count` servers, then registers them all at once. */
  private async add(count: number): Promise<RegisterBatch> {
    const started = await Promise.all(Array.from({ length: count }, () => this.serve()));
    return this.registerAll(started, 0);
  }

  /** Deregisters the last `count` instances and stops their servers; returns when deregistering began. */
  private async remove(count: number): Promise<{ ids: string[]; startedAt: number }> {
    const removed = [...this.instances.values()].slice(-count);
    const startedAt = wallNow();
    await Promise.all(
      removed.map(async (instance) => {
        await this.backend.deregister(instance.registration);
        this.instances.delete(instance.registration.id);
        instance.server.forceShutdown();
      }),
    );
    return { ids: removed.map(({ registration }) => registration.id), startedAt };
  }

  /**
   * A mass restart: every instance deregisters at once (a graceful stop), then registers again
   * after a random delay in [0, jitterMs) (a start spread by jitter; 0: all at once).
   */
  private async restart(jitterMs: number): Promise<RegisterBatch & { deregisteredAt: number }> {
    const all = [...this.instances.values()];
    await Promise.all(all.map((instance) => this.backend.deregister(instance.registration)));
    const deregisteredAt = wallNow();
    return { ...(await this.registerAll(all, jitterMs)), deregisteredAt };
  }

  private async registerAll(instances: readonly Instance[], jitterMs: number): Promise<RegisterBatch> {
    const startedAt = wallNow();
    const latenciesMs = await Promise.all(
      instances.map(async (instance) => {
        if (jitterMs > 0) await sleep(Math.random() * jitterMs);
        const begin = performance.now();
        await this.registerRetrying(instance.registration);
        return performance.now() - begin;
      }),
    );
    return {
      ids: instances.map(({ registration }) => registration.id),
      startedAt,
      finishedAt: wallNow(),
      latenciesMs,
    };
  }

  /** Registrations that failed (etcd's request deadline passed) and were tried again. */
  private retried = 0;

  /**
   * A failed registration (on an overloaded machine etcd's 3 s request deadline passes, then
   * etcd3's circuit breaker opens) is tried again a second later, up to ten times, as an
   * orchestrator would restart an instance that failed to start.
   */
  private async registerRetrying(registration: ServiceInstance): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.backend.register(registration);
      } catch (error) {
        if (attempt === 10) throw error;
        this.retried++;
        await sleep(1_000);
      }
    }
  }

  private async serve(): Promise<Instance> {
    const server = new Server();
    const id = `${SERVICE}-bench-${randomUUID().slice(0, 12)}`;
    const instance = { server, calls: 0 } as Instance;
    server.addService(InventoryServiceService, {
      getStock: (_call: unknown, callback: (error: null, response: object) => void) => {
        instance.calls++;
        callback(null, { servedBy: id });
      },
      reserveStock: unimplemented,
      releaseReservation: unimplemented,
      importStock: unimplemented,
      followStock: unimplemented,
      confirmReservations: unimplemented,
      watchStock: unimplemented,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    instance.registration = { id, name: SERVICE, address: '127.0.0.1', port, tags: [], metadata: {} };
    this.instances.set(id, instance);
    return instance;
  }

  private takeCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [id, instance] of this.instances) {
      counts[id] = instance.calls;
      instance.calls = 0;
    }
    return counts;
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.instances.values()].map((each) => this.backend.deregister(each.registration)),
    );
    for (const { server } of this.instances.values()) server.forceShutdown();
    this.instances.clear();
    await this.backend.close?.();
  }
}
