/** The registry used when neither the options nor DISCOVERY_URL name one. */
export const DEFAULT_DISCOVERY_URL = 'memory://';
/** Environment variable read for the discovery URL when the options give none. */
export const DISCOVERY_URL_ENV = 'DISCOVERY_URL';
