export * from './semconv.js';
export { activeTraceIds, type TraceIds } from './active-trace.js';
export { meshMeter, meshTracer, secondsSince } from './mesh-telemetry.js';
export {
  currentTelemetry,
  setCurrentTelemetry,
  type BufferedSpan,
  type TelemetryHandle,
  type TraceStore,
  type TraceSummary,
} from './telemetry-handle.js';
export { InvalidTelemetryConfigError } from './telemetry.errors.js';
export { TelemetryHttpModule } from './http/telemetry-http.module.js';
export { TelemetryHttpController } from './http/telemetry-http.controller.js';
export {
  DEFAULT_UNTRACED_HTTP_PATHS,
  httpServerTracing,
  type HttpServerTracingOptions,
} from './http/http-server-tracing.js';
