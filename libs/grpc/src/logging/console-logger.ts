import { ConsoleLogger, type LogLevel } from '@nestjs/common';

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

/**
 * Nest's ConsoleLogger for an app's entry point, coloured only where logColours() allows:
 * `NestFactory.create(AppModule, { logger: consoleLogger(['log', 'warn', 'error']) })`.
 * (Nest's default colours whenever NO_COLOR is unset, even into a pipe.)
 */
export function consoleLogger(logLevels: LogLevel[]): ConsoleLogger {
  return new ConsoleLogger({ logLevels, colors: logColours() });
}
