export * from './semconv.js';
export { activeTraceIds, type TraceIds } from './active-trace.js';
export { meshMeter, meshTracer, secondsSince } from './mesh-telemetry.js';
export {
  currentTelemetry,
  metricsServerPort,
  setCurrentTelemetry,
  TELEMETRY_PORT_METADATA,
  type BufferedSpan,
  type TelemetryHandle,
  type TraceStore,
  type TraceSummary,
} from './telemetry-handle.js';
export { InvalidTelemetryConfigError } from './telemetry.errors.js';
export { TelemetryHttpModule } from './http/telemetry-http.module.js';
export { TelemetryHttpController } from './http/telemetry-http.controller.js';
export {
  traceDetail,
  traceListing,
  type TraceDetail,
  type TraceListing,
  type TraceReply,
} from './http/trace-endpoints.js';
export {
  DEFAULT_UNTRACED_HTTP_PATHS,
  httpServerTracing,
  type HttpServerTracingOptions,
} from './http/http-server-tracing.js';
