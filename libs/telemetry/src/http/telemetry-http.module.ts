import { Module } from '@nestjs/common';

import { TelemetryHttpController } from './telemetry-http.controller.js';

/**
 * Serves the process's telemetry on the HTTP app: `GET /metrics` for Prometheus and
 * `GET /debug/traces`, `GET /debug/traces/:traceId` (the in-process trace buffer, kept when no
 * OTLP exporter is configured). Needs startTelemetry() to have run; answers 503 otherwise.
 */
@Module({ controllers: [TelemetryHttpController] })
export class TelemetryHttpModule {}
