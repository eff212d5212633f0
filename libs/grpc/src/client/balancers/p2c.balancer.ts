import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';

import { RETRY_BUDGET_CHANNEL_OPTION, type RetryBudget } from '../retries/retry-budget.js';
import { InstanceScores } from './instance-scores.js';
import {
  BALANCER_CLOCK_CHANNEL_OPTION,
  P2C_POLICY_NAME,
  parseP2cSettings,
  SYSTEM_BALANCER_CLOCK,
  type BalancerClock,
  type P2cSettings,
} from './p2c.config.js';
import { P2cPicker } from './p2c.picker.js';

/** `nestmesh_p2c` as grpc-js parses it from a service config (a bad one throws, and is skipped). */
export class P2cLoadBalancingConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly settings: P2cSettings = parseP2cSettings({})) {}

  static createFromJson(raw: unknown): P2cLoadBalancingConfig {
    return new P2cLoadBalancingConfig(parseP2cSettings(raw));
  }

  getLoadBalancerName(): string {
    return P2C_POLICY_NAME;
  }

  toJsonObject(): object {
    return { [P2C_POLICY_NAME]: { ...this.settings } };
  }
}

/**
 * The p2c policy: one connection (a pick-first leaf) per resolved instance, all kept connected,
 * calls spread by {@link P2cPicker}. Scores survive address updates for the instances that
 * stay, so a registry change does not forget which instance is slow or ejected.
 */
export class P2cLoadBalancer implements experimental.LoadBalancer {
  private children = new Map<string, experimental.LeafLoadBalancer>();
  private scores: InstanceScores | undefined;
  /** The client's retry budget (MeshClientModule puts it in the channel options), if any. */
  private budget: RetryBudget | undefined;
  private readonly childHelper: experimental.ChannelControlHelper;
  private state = ConnectivityState.IDLE;
  private lastError: string | null = null;
  private updatesPaused = false;

  constructor(private readonly helper: experimental.ChannelControlHelper) {
    this.childHelper = experimental.createChildChannelControlHelper(helper, {
      updateState: (state, _picker, errorMessage) => {
        // As round robin: a lost connection may mean a moved instance, so ask the resolver.
        if (this.state === ConnectivityState.READY && state !== ConnectivityState.READY) {
          this.helper.requestReresolution();
        }
        if (errorMessage) this.lastError = errorMessage;
        this.updateState();
      },
    });
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    if (!(config instanceof P2cLoadBalancingConfig)) return false;
    if (!endpoints.ok) {
      if (this.children.size === 0) this.fail(endpoints.error.details);
      return true;
    }
    const clock =
      (options[BALANCER_CLOCK_CHANNEL_OPTION] as BalancerClock | undefined) ?? SYSTEM_BALANCER_CLOCK;
    // grpc-js parses the config again at each resolution: same settings, same scores.
    const sameSettings = JSON.stringify(this.scores?.settings) === JSON.stringify(config.settings);
    if (!this.scores || !sameSettings || this.scores.clock !== clock) {
      this.scores = new InstanceScores(config.settings, clock);
    }
    this.budget = options[RETRY_BUDGET_CHANNEL_OPTION] as RetryBudget | undefined;
    this.updatesPaused = true;
    this.replaceChildren(endpoints.value, options, resolutionNote);
    this.scores.retain([...this.children.keys()]);
    this.updatesPaused = false;
    if (this.children.size === 0) this.fail(`no addresses resolved: ${resolutionNote}`);
    else this.updateState();
    return true;
  }

  exitIdle(): void {
    for (const child of this.children.values()) child.exitIdle();
  }

  resetBackoff(): void {}

  destroy(): void {
    for (const child of this.children.values()) child.destroy();
    this.children.clear();
  }

  getTypeName(): string {
    return P2C_POLICY_NAME;
  }

  private replaceChildren(endpoints: experimental.Endpoint[], options: ChannelOptions, note: string): void {
    const next = new Map<string, experimental.LeafLoadBalancer>();
    for (const endpoint of endpoints) {
      const key = experimental.endpointToString(endpoint);
      if (next.has(key)) continue;
      const existing = this.children.get(key);
      if (existing) {
        existing.updateEndpoint(endpoint, options);
        next.set(key, existing);
      } else {
        const child = new experimental.LeafLoadBalancer(endpoint, this.childHelper, options, note);
        next.set(key, child);
        child.startConnecting();
      }
    }
    for (const [key, child] of this.children) if (!next.has(key)) child.destroy();
    this.children = next;
  }

  private updateState(): void {
    if (this.updatesPaused || !this.scores) return;
    const children = [...this.children];
    const states = children.map(([, child]) => child.getConnectivityState());
    const ready = children.filter(([, child]) => child.getConnectivityState() === ConnectivityState.READY);
    if (ready.length > 0) {
      const scores = this.scores;
      const instances = ready.map(([key, child]) => ({ score: scores.get(key), picker: child.getPicker() }));
      this.publish(ConnectivityState.READY, new P2cPicker(instances, scores, this.budget), null);
    } else if (states.includes(ConnectivityState.CONNECTING)) {
      this.publish(ConnectivityState.CONNECTING, new experimental.QueuePicker(this), null);
    } else if (states.includes(ConnectivityState.TRANSIENT_FAILURE)) {
      this.fail(`no connection established, last error: ${this.lastError ?? 'none'}`);
    } else {
      this.publish(ConnectivityState.IDLE, new experimental.QueuePicker(this), null);
    }
    // Every instance stays connected, so that a draw never waits for a handshake.
    for (const [, child] of children) {
      if (child.getConnectivityState() === ConnectivityState.IDLE) child.exitIdle();
    }
  }

  private fail(details: string): void {
    const message = `${P2C_POLICY_NAME}: ${details}`;
    this.publish(
      ConnectivityState.TRANSIENT_FAILURE,
      new experimental.UnavailablePicker({ details: message }),
      message,
    );
  }

  private publish(state: ConnectivityState, picker: experimental.Picker, error: string | null): void {
    this.state = state;
    this.helper.updateState(state, picker, error);
  }
}

let registered = false;

/** Registers `nestmesh_p2c` with grpc-js (once per process); channels created after can select it. */
export function setupP2cBalancer(): void {
  if (registered) return;
  experimental.registerLoadBalancerType(P2C_POLICY_NAME, P2cLoadBalancer, P2cLoadBalancingConfig);
  registered = true;
}
