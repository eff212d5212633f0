export { closeOnSignals } from './close-on-signals.js';
export { readTelemetryConfig, parseResourceAttributes, type TelemetryConfig } from './config.js';
export { RatioSampler } from './ratio-sampler.js';
export { startTelemetry, type TelemetryOptions } from './start-telemetry.js';
export { TraceBuffer } from './trace-buffer.js';
