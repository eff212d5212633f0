import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface MeshDashboardModuleOptions {
  /** Where the page is served on the app's HTTP server. Default `/mesh`. */
  path?: string;
  /** The registry to list. Default DISCOVERY_URL, then `memory://`. */
  discoveryUrl?: string;
  /** The elections to show. Default ELECTION_URL, then REDIS_URL, then `memory://`. */
  electionUrl?: string;
  /** The locks to show. Default REDIS_URL, then `memory://`. */
  lockUrl?: string;
  /** Period of the live updates, in ms (250..60 000). Default 2000. */
  refreshMs?: number;
  /** How long an instance's telemetry may take to answer, in ms. Default 1500 (at most refreshMs when that is shorter). */
  sourceTimeoutMs?: number;
  /** Leaderships kept per election group. Default 10. */
  leaderHistory?: number;
  /** Recent traces listed. Default 50. */
  traceLimit?: number;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: MESH_DASHBOARD_OPTIONS } =
  new ConfigurableModuleBuilder<MeshDashboardModuleOptions>().setClassMethodName('forRoot').build();
