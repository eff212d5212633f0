import { Logger } from '@nestjs/common';
import { status as Status, experimental } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';
import {
  watchWithRetry,
  WATCH_RETRY_BACKOFF,
  type Discovery,
  type ServiceInstance,
} from '@nestmesh/discovery';

/** The URI scheme clients dial: `mesh:///<service>`. */
export const MESH_SCHEME = 'mesh';
/**
 * Channel option naming the Discovery a channel resolves through. The prefix keeps it out of
 * the subchannel key, so channels to the same address still share connections.
 */
export const DISCOVERY_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_discovery`;

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
 * grpc-js resolver for `mesh:///<service>`: follows the service through `watchWithRetry` (a
 * watch throws RegistryUnavailableError when the registry fails; it is watched again with
 * jittered backoff, 100 ms doubling to 2 s, until the channel closes) and hands each
 * non-empty instance list to the channel's balancer. It never hands over an empty list: while
 * the registry reports none, or is unreachable, the channel keeps the last list it had, and
 * follows the registry again once it answers. Before the first list (no instance yet, or no
 * registry), calls fail fast with UNAVAILABLE.
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
    let failing = false;
    const onError = (error: unknown) => {
      if (!this.latest) this.reportError(`the registry is unreachable: ${String(error)}`);
      // One warning per outage, not one per retry.
      if (!failing) {
        this.logger.warn(
          `watching "${this.service}" failed, keeping the last known instances and retrying (at most every ${WATCH_RETRY_BACKOFF.maxMs} ms): ${String(error)}`,
        );
      }
      failing = true;
    };
    const options = { signal: this.abort.signal, onError };
    try {
      for await (const instances of watchWithRetry(discovery, this.service, options)) {
        if (failing) this.logger.log(`watching "${this.service}" again`);
        failing = false;
        this.onInstances(instances);
      }
    } catch (error) {
      // watchWithRetry only throws what the consumer threw: a bug here, not a registry failure.
      this.logger.error(`the resolver of "${this.service}" stopped: ${String(error)}`);
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
