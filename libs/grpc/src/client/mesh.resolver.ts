import { Logger } from '@nestjs/common';
import { status as Status, experimental } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  watchWithRetry,
  WATCH_RETRY_BACKOFF,
  type Discovery,
  type ServiceInstance,
} from '@nestmesh/discovery';

import { DiscoveryTelemetry, peerKey } from './discovery-telemetry.js';
import type { SubsetPolicy } from './subsetting/subset-policy.js';

/**
 * Least time between two lists a resolver hands its balancer, in ms. A change after a quiet
 * spell goes through at once; a burst (a mass restart: hundreds of registrations in a second)
 * goes through as its newest list every 100 ms, not event by event: at 300 instances each list
 * costs a client about a millisecond of CPU, and 50 clients following 600 events each kept a
 * 2-core machine busy for tens of seconds (docs/benchmarks.md, "Hundreds of instances").
 */
export const RESOLVER_UPDATE_INTERVAL_MS = 100;

/** The URI scheme clients dial: `mesh:///<service>`. */
export const MESH_SCHEME = 'mesh';
/**
 * Channel option naming the Discovery a channel resolves through. The prefix keeps it out of
 * the subchannel key, so channels to the same address still share connections.
 */
export const DISCOVERY_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_discovery`;

/**
 * What the resolvers of an attachment's channels (a client's main channel and its compression
 * siblings) share with each other and with the client: the instances resolved, and one
 * telemetry, so that several channels following the same service report each change once.
 */
interface Attachment {
  discovery: Discovery;
  /** Instance id by peer (`host:port`, as grpc-js names a call's peer). */
  instancesByPeer: Map<string, string>;
  /** Opened by the first resolver, closed on release. */
  telemetry?: DiscoveryTelemetry;
  /** Which of the instances the channels connect to; all of them without. Closed on release. */
  subset?: SubsetPolicy;
}

const attachments = new Map<string, Attachment>();
let sequence = 0;

export interface AttachedDiscovery {
  /** The value of DISCOVERY_CHANNEL_OPTION for the channel. */
  optionValue: string;
  /** The discovery id of the instance at `peer` (a call's `getPeer()`), if the resolver knows it. */
  instanceAt: (peer: string) => string | undefined;
  release(): void;
}

/**
 * Makes `discovery` reachable from the resolvers of the channels given `optionValue` (a
 * client's channels, all closed before `release()`, called once).
 */
export function attachDiscovery(discovery: Discovery, subset?: SubsetPolicy): AttachedDiscovery {
  const optionValue = `discovery-${++sequence}`;
  const attachment: Attachment = { discovery, instancesByPeer: new Map(), subset };
  attachments.set(optionValue, attachment);
  return {
    optionValue,
    instanceAt: (peer) => attachment.instancesByPeer.get(peer),
    release: () => {
      attachment.telemetry?.close();
      attachment.subset?.close();
      attachments.delete(optionValue);
    },
  };
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
 * registry), calls fail fast with UNAVAILABLE. A channel idle for `grpc.client_idle_timeout_ms`
 * (grpc-js' default: 30 min without calls) destroys its resolver and, at its next call, asks
 * it to resolve: the watch starts again then. A burst of changes reaches the balancer as its newest
 * list at most every RESOLVER_UPDATE_INTERVAL_MS. With subsetting (the attachment's SubsetPolicy),
 * the balancer gets the client's subset of each list, picked again when the client's place moves.
 */
class MeshResolver implements experimental.Resolver {
  private readonly logger = new Logger('MeshResolver');
  /** Ends the running watch; undefined while destroyed (the channel closed, or idle). */
  private abort: AbortController | undefined;
  private readonly service: string;
  private latest: experimental.Endpoint[] | undefined;
  private readonly attachment: Attachment | undefined;
  /** The whole last non-empty list, to pick the subset from again when the client's place moves. */
  private instances: readonly ServiceInstance[] | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The addresses last handed to the balancer, in order. */
  private handedKey: string | undefined;

  constructor(
    target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    this.service = MeshResolver.getDefaultAuthority(target);
    this.attachment = attachments.get(options[DISCOVERY_CHANNEL_OPTION] as string);
    if (!this.attachment) {
      process.nextTick(() =>
        this.reportError(`no Discovery is attached to this channel; create clients with MeshClientModule`),
      );
      return;
    }
    this.attachment.telemetry ??= new DiscoveryTelemetry(this.service);
    this.start(this.attachment);
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path.replace(/^\/+/, '');
  }

  /**
   * The watch pushes every change, so there is nothing to fetch. Re-sending the same list here
   * would be harmful: grpc-js asks for re-resolution whenever connecting fails, and an
   * immediate identical answer restarts the attempts at once, a loop with no backoff. Only a
   * resolver destroyed by an idle channel has something to do: the balancer was reset, so it
   * gets the last list at once (the registry may be unreachable now) and the watch restarts.
   */
  updateResolution(): void {
    if (this.abort || !this.attachment) return;
    const latest = this.latest;
    // Not from inside grpc-js' own updateResolution: it sets the channel's state after this returns.
    if (latest) process.nextTick(() => this.listener(experimental.statusOrFromValue(latest), {}, null, ''));
    this.start(this.attachment);
  }

  destroy(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private start(attachment: Attachment): void {
    const abort = new AbortController();
    this.abort = abort;
    this.unsubscribe = attachment.subset?.onChange(() => {
      if (this.instances && !abort.signal.aborted) this.hand(attachment, this.instances);
    });
    // The channel may start resolving inside a traced call: the watch is no part of that trace.
    context.with(ROOT_CONTEXT, () => void this.follow(attachment, abort.signal));
  }

  private async follow(attachment: Attachment, signal: AbortSignal): Promise<void> {
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
    const options = { signal, onError };
    try {
      for await (const instances of watchWithRetry(attachment.discovery, this.service, options)) {
        if (failing) this.logger.log(`watching "${this.service}" again`);
        failing = false;
        // A list that raced the abort belongs to a destroyed resolver's channel state: dropped.
        if (signal.aborted) break;
        this.onInstances(attachment, instances);
        // Lists published meanwhile are not queued: the watch keeps only the newest one.
        await sleep(RESOLVER_UPDATE_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      }
    } catch (error) {
      // watchWithRetry only throws what the consumer threw: a bug here, not a registry failure.
      this.logger.error(`the resolver of "${this.service}" stopped: ${String(error)}`);
    }
  }

  private onInstances(attachment: Attachment, instances: readonly ServiceInstance[]): void {
    // A sibling's resolver reporting the list another one already did changes nothing here.
    attachment.telemetry?.update(instances);
    if (instances.length === 0) {
      if (!this.latest) this.reportError(`no live instances of "${this.service}"`);
      return;
    }
    this.instances = instances;
    attachment.instancesByPeer = new Map(
      instances.map((instance) => [peerKey(instance.address, instance.port), instance.id]),
    );
    this.hand(attachment, instances);
  }

  /**
   * Hands the balancer the instances to connect to: the subset, with subsetting. A subset equal
   * to the one handed last is not handed again: most registry events (an instance joining
   * elsewhere on the ring) leave a client's subset as it was, and each hand-over costs the
   * balancer a pass over every address (the scale benchmark measured it, docs/benchmarks.md).
   */
  private hand(attachment: Attachment, instances: readonly ServiceInstance[]): void {
    const picked = attachment.subset ? attachment.subset.pick(instances) : instances;
    const key = picked.map((instance) => peerKey(instance.address, instance.port)).join(',');
    if (attachment.subset && key === this.handedKey) return;
    this.handedKey = key;
    this.latest = picked.map(toEndpoint);
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
