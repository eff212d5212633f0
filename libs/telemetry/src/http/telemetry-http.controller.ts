import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';

import { currentTelemetry, type BufferedSpan, type TraceSummary } from '../telemetry-handle.js';

const NOT_STARTED =
  'telemetry is not started in this process: call startTelemetry() from @nestmesh/telemetry/sdk first in main.ts';

/** `GET /metrics` (Prometheus text) and `GET /debug/traces[/:traceId]` (the in-process buffer). */
@Controller()
export class TelemetryHttpController {
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  async metrics(): Promise<string> {
    const telemetry = currentTelemetry();
    if (!telemetry) throw new ServiceUnavailableException(NOT_STARTED);
    if (!telemetry.scrapeMetrics)
      throw new ServiceUnavailableException(`telemetry is ${telemetry.traceDestination}`);
    return telemetry.scrapeMetrics();
  }

  @Get('debug/traces')
  @Header('cache-control', 'no-store')
  traces(): { service: string; capacity: number; traces: TraceSummary[] } {
    const store = this.store();
    return { service: currentTelemetry()!.serviceName, capacity: store.capacity, traces: store.list() };
  }

  @Get('debug/traces/:traceId')
  @Header('cache-control', 'no-store')
  trace(@Param('traceId') traceId: string): { traceId: string; spans: BufferedSpan[] } {
    if (!/^[0-9a-f]{32}$/.test(traceId)) {
      throw new NotFoundException(`"${traceId.slice(0, 64)}" is not a trace id (32 lowercase hex digits)`);
    }
    const spans = this.store().get(traceId);
    if (!spans) throw new NotFoundException(`trace ${traceId} is not (or no longer) in the buffer`);
    return { traceId, spans };
  }

  private store() {
    const telemetry = currentTelemetry();
    if (!telemetry) throw new ServiceUnavailableException(NOT_STARTED);
    if (!telemetry.traces) {
      throw new NotFoundException(
        `traces are not kept in this process: they go to ${telemetry.traceDestination}`,
      );
    }
    return telemetry.traces;
  }
}
