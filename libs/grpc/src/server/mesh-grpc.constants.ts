/** Interface the server binds to when `host` is not given: loopback, safe by default. */
export const DEFAULT_HOST = '127.0.0.1';
/** Port 0: the kernel picks a free one; the server reports it after listening. */
export const DEFAULT_PORT = 0;
/** How long in-flight calls may take to finish on shutdown before they are cancelled. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/**
 * Time between deregistering and refusing new calls on shutdown, for the registry change to
 * reach every client's resolver. The memory registry needs a few ms; Consul and etcd watches
 * need more (their adapters document it).
 */
export const DEFAULT_DEREGISTER_DELAY_MS = 100;
/** gRPC's default message size cap, stated so that it shows up in the docs. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
