/** Base of the dashboard's errors: a string `code` and messages prefixed `dashboard: `. */
export class DashboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`dashboard: ${message}`);
    this.name = new.target.name;
  }
}

/** MeshDashboardModule options that cannot work (a bad path, a refresh period out of range). */
export class InvalidDashboardOptionsError extends DashboardError {
  constructor(message: string) {
    super('INVALID_DASHBOARD_OPTIONS', message);
  }
}

/** A /metrics text that is not the Prometheus text format; names the line. */
export class PrometheusParseError extends DashboardError {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super('PROMETHEUS_PARSE', `metrics line ${line}: ${reason}`);
  }
}

/** The app has no HTTP server to mount the page on (an application context, a microservice). */
export class DashboardNeedsHttpError extends DashboardError {
  constructor() {
    super(
      'DASHBOARD_NEEDS_HTTP',
      'MeshDashboardModule serves a page: import it into an HTTP app (NestFactory.create), not an application context',
    );
  }
}
