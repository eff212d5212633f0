/** Where the page is mounted on the app's HTTP server. */
export const DEFAULT_DASHBOARD_PATH = '/mesh';
/** How often the page gets a new snapshot over SSE, in ms. */
export const DEFAULT_REFRESH_MS = 2000;
/** Bounds of `refreshMs`: faster is load, slower is not live. */
export const MIN_REFRESH_MS = 250;
export const MAX_REFRESH_MS = 60_000;
/** How long one instance's telemetry may take to answer, in ms, before it shows as failed. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 1500;
/** Leaderships kept per election group for the history. */
export const DEFAULT_LEADER_HISTORY = 10;
/** Recent traces listed (merged over every source). */
export const DEFAULT_TRACE_LIMIT = 50;
