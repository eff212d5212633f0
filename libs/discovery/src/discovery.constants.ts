/** The registry used when neither the options nor DISCOVERY_URL name one. */
export const DEFAULT_DISCOVERY_URL = 'memory://';
/** Environment variable read for the discovery URL when the options give none. */
export const DISCOVERY_URL_ENV = 'DISCOVERY_URL';
/** `watchWithRetry`'s delays between watches: 100 ms doubling to 2 s, up to half taken off. */
export const WATCH_RETRY_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;
