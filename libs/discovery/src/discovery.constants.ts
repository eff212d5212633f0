/** The registry used when neither the options nor DISCOVERY_URL name one. */
export const DEFAULT_DISCOVERY_URL = 'memory://';
/** Environment variable read for the discovery URL when the options give none. */
export const DISCOVERY_URL_ENV = 'DISCOVERY_URL';
/** `watchWithRetry`'s delays between watches: 100 ms doubling to 2 s, up to half taken off. */
export const WATCH_RETRY_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;
/** `syncHaproxyBackend` defaults; every duration in ms. */
export const HAPROXY_SYNC_DEFAULTS = {
  /** Only servers named with this prefix are managed; others in the backend are left alone. */
  serverNamePrefix: 'mesh-',
  /** A leaving instance's server drains at most this long before its sessions are shut. */
  drainTimeoutMs: 30_000,
  /** How often a draining server's sessions are counted. */
  drainPollIntervalMs: 250,
  /**
   * How long a server stays in maintenance, its sessions shut and none left, before it is
   * deleted: HAProxy before 2.9 can crash deleting a server a closing stream still points to.
   */
  deleteDelayMs: 2_000,
  /** How often the backend is re-read without a change (to restore servers after an HAProxy restart). */
  resyncIntervalMs: 5_000,
  /** One runtime API command's connect-and-answer limit. */
  commandTimeoutMs: 5_000,
  /** Delays between reconcile attempts after a runtime API failure: 100 ms doubling to 5 s. */
  retryBackoff: { initialMs: 100, maxMs: 5_000 },
} as const;
