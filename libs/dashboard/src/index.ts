export * from './dashboard.constants.js';
export {
  DashboardError,
  DashboardNeedsHttpError,
  InvalidDashboardOptionsError,
  PrometheusParseError,
} from './dashboard.errors.js';
export { resolveDashboardOptions, type ResolvedDashboardOptions } from './dashboard.options.js';
export { MeshDashboardModule } from './mesh-dashboard.module.js';
export {
  MESH_DASHBOARD_OPTIONS,
  type MeshDashboardModuleOptions,
} from './mesh-dashboard.module-definition.js';
export { MeshDashboard } from './mesh-dashboard.service.js';
export { parsePrometheusText, type PrometheusSample } from './prometheus/prometheus-text.js';
export { quantileMs, RedTracker, type RedRow } from './red/red-tracker.js';
export { rpcHistograms, type CallKind, type HistogramSeries } from './red/rpc-histograms.js';
export { redactMetadata } from './redaction.js';
export type * from './state/mesh-snapshot.js';
export type { LeaderGroupView, LeadershipView } from './state/leader-history.js';
export { mergeSpans, mergeTraceLists, type MergedTraceSummary } from './traces/trace-merge.js';
