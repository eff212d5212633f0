/** A telemetry setting (an OTEL_* variable or an option) that cannot work; thrown at startup. */
export class InvalidTelemetryConfigError extends Error {
  readonly code = 'INVALID_TELEMETRY_CONFIG';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`telemetry: ${setting} ${problem}`);
    this.name = 'InvalidTelemetryConfigError';
  }
}
