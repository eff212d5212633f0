import { Logger } from '@nestjs/common';
import { status as Status, experimental } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';
import type { Discovery, ServiceInstance } from '@nestmesh/discovery';
import { setTimeout as sleep } from 'node:timers/promises';

/** The URI scheme clients dial: `mesh:///<service>`. */
export const MESH_SCHEME = 'mesh';
/**
 * Channel option naming the Discovery a channel resolves through. The prefix keeps it out of
 * the subchannel key, so channels to the same address still share connections.
 */
export const DISCOVERY_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_discovery`;
/** Backoff between re-watches after a registry error, in ms: doubling from the first to the last. */
const REWATCH_BACKOFF_MS = [100, 1_000] as const;

const discoveries = new Map<string, Discovery>();
let sequence = 0;

/** Makes `discovery` reachable from channels; returns the channel option value and a release. */
export function attachDiscovery(discovery: Discovery): { optionValue: string; release: () => void } {
  const optionValue = `discovery-${++sequence}`;
  discoveries.set(optionValue, discovery);
  return { optionValue, release: () => discoveries.delete(optionValue) };
}

function toEndpoint(instance: ServiceInstance): experimental.Endpoint {
  return { addresses: [{ host: instance.address, port: instance.port }] };
}

/**
 * grpc-js resolver for `mesh:///<service>`: follows `Discovery.watch(service)` and hands each
 * non-empty instance list to the channel's balancer. It never hands over an empty list: while
 * the registry reports none, or errors, or is unreachable, the channel keeps the last list it
 * had (before the first list, calls fail fast with UNAVAILABLE). A failed watch is retried
 * with backoff until the channel closes.
 */
class MeshResolver implements experimental.Resolver {
  private readonly logger = new Logger('MeshResolver');
  private readonly abort = new AbortController();
  private readonly service: string;
  private latest: experimental.Endpoint[] | undefined;

  constructor(
    target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    this.service = MeshResolver.getDefaultAuthority(target);
    const discovery = discoveries.get(options[DISCOVERY_CHANNEL_OPTION] as string);
    if (!discovery) {
      process.nextTick(() =>
        this.reportError(`no Discovery is attached to this channel; create clients with MeshClientModule`),
      );
      return;
    }
    void this.follow(discovery);
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path.replace(/^\/+/, '');
  }

  /**
   * The watch pushes every change, so there is nothing to fetch. Re-sending the same list here
   * would be harmful: grpc-js asks for re-resolution whenever connecting fails, and an
   * immediate identical answer restarts the attempts at once, a loop with no backoff.
   */
  updateResolution(): void {}

  destroy(): void {
    this.abort.abort();
  }

  private async follow(discovery: Discovery): Promise<void> {
    const { signal } = this.abort;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const instances of discovery.watch(this.service, { signal })) {
          failures = 0;
          this.onInstances(instances);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn(
          `watching "${this.service}" failed, keeping the last known instances: ${String(error)}`,
        );
      }
      const delayMs = Math.min(REWATCH_BACKOFF_MS[0] * 2 ** failures++, REWATCH_BACKOFF_MS[1]);
      await sleep(delayMs * (0.5 + Math.random() / 2), undefined, { signal }).catch(() => undefined);
    }
  }

  private onInstances(instances: readonly ServiceInstance[]): void {
    if (instances.length === 0) {
      if (!this.latest) this.reportError(`no live instances of "${this.service}"`);
      return;
    }
    this.latest = instances.map(toEndpoint);
    this.listener(experimental.statusOrFromValue(this.latest), {}, null, '');
  }

  private reportError(details: string): void {
    this.listener(experimental.statusOrFromError({ code: Status.UNAVAILABLE, details }), {}, null, details);
  }
}

let registered = false;

/** Registers the `mesh` scheme with grpc-js (once per process). */
export function setupMeshResolver(): void {
  if (registered) return;
  experimental.registerResolver(MESH_SCHEME, MeshResolver);
  registered = true;
}
