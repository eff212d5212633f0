export { captureTelemetry, type CapturedTelemetry } from './capture-telemetry.js';
