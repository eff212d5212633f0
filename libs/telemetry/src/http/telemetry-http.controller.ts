import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';

import { currentTelemetry } from '../telemetry-handle.js';
import {
  NOT_STARTED,
  traceDetail,
  traceListing,
  type TraceDetail,
  type TraceListing,
  type TraceReply,
} from './trace-endpoints.js';

function bodyOf<Body>(reply: TraceReply<Body>): Body {
  if (reply.ok) return reply.body;
  throw reply.status === 503
    ? new ServiceUnavailableException(reply.message)
    : new NotFoundException(reply.message);
}

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
  traces(): TraceListing {
    return bodyOf(traceListing(currentTelemetry()));
  }

  @Get('debug/traces/:traceId')
  @Header('cache-control', 'no-store')
  trace(@Param('traceId') traceId: string): TraceDetail {
    return bodyOf(traceDetail(currentTelemetry(), traceId));
  }
}
