import { ConsoleLogger, type ConsoleLoggerOptions, type LogLevel } from '@nestjs/common';
import { activeTraceIds } from '@nestmesh/telemetry';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';

/** FORCE_COLOR values that turn colours on, as Node reads them (`0`, `false`, … turn them off). */
const FORCING = new Set(['', '1', '2', '3', 'true']);

/**
 * Whether log lines may carry ANSI colour codes. Node's own rule: FORCE_COLOR decides when it
 * is set; otherwise only when every output stream is a terminal that supports colour, which
 * `tty.WriteStream.hasColors()` answers honouring NO_COLOR, NODE_DISABLE_COLORS and TERM=dumb.
 * So a pipe, a file or a log collector gets plain text.
 */
export function logColours(
  env: NodeJS.ProcessEnv = process.env,
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): boolean {
  if (env.FORCE_COLOR !== undefined) return FORCING.has(env.FORCE_COLOR);
  return streams.every((stream) => stream.isTTY === true && stream.hasColors(env));
}

export type LogFormat = 'text' | 'json';

/** LOG_FORMAT: `text` (default) or `json`; anything else is refused at startup. */
export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const raw = env.LOG_FORMAT?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'text') return 'text';
  if (raw === 'json') return 'json';
  throw new InvalidGrpcOptionsError(
    'LOG_FORMAT',
    `must be "text" or "json", got ${JSON.stringify(env.LOG_FORMAT)}`,
  );
}

/**
 * Nest's ConsoleLogger with the active span's ids on every line written inside a traced
 * request (a gRPC call, an HTTP request): `… trace_id=<32 hex> span_id=<16 hex>` at the end of
 * a text line, `trace_id` and `span_id` fields in JSON mode. Outside a span (or with
 * telemetry off) the lines are Nest's own.
 */
export class MeshConsoleLogger extends ConsoleLogger {
  constructor(options: ConsoleLoggerOptions) {
    super(options);
  }

  protected override formatMessage(...args: Parameters<ConsoleLogger['formatMessage']>): string {
    const line = super.formatMessage(...args);
    const ids = activeTraceIds();
    if (!ids) return line;
    const end = line.endsWith('\n') ? line.length - 1 : line.length;
    return `${line.slice(0, end)} trace_id=${ids.trace_id} span_id=${ids.span_id}${line.slice(end)}`;
  }

  protected override getJsonLogObject(
    ...args: Parameters<ConsoleLogger['getJsonLogObject']>
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const record = super.getJsonLogObject(...args);
    const ids = activeTraceIds();
    return ids ? { ...record, ...ids } : record;
  }
}

/**
 * The logger for an app's entry point:
 * `NestFactory.create(AppModule, { logger: consoleLogger(['log', 'warn', 'error']) })`.
 * Text lines are coloured only where logColours() allows (Nest's default colours whenever
 * NO_COLOR is unset, even into a pipe); `LOG_FORMAT=json` writes one JSON object per line
 * (Nest's json mode). Either way lines written in a traced request carry its trace and span
 * ids (MeshConsoleLogger). A bad LOG_FORMAT throws InvalidGrpcOptionsError.
 */
export function consoleLogger(logLevels: LogLevel[], env: NodeJS.ProcessEnv = process.env): ConsoleLogger {
  return logFormat(env) === 'json'
    ? new MeshConsoleLogger({ logLevels, json: true, colors: false })
    : new MeshConsoleLogger({ logLevels, colors: logColours(env) });
}
