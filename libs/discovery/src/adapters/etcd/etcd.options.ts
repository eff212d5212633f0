/** Defaults are in etcd.constants.ts. */
export interface EtcdRegistryOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  hosts: string[];
  /** Lease TTL of each registration, in seconds. Default 5; keep-alives go out every TTL/3. */
  ttlSeconds?: number;
  /** Key prefix. Default `/nestmesh/services`. */
  prefix?: string;
  /** Deadline of each etcd request, in ms. Default 3000. */
  requestTimeoutMs?: number;
  auth?: { username: string; password: string };
  /**
   * Keep-alive ping interval on open streams, in ms (default 10 000, at least 5 000: etcd's
   * `--grpc-keepalive-min-time`). An etcd that does not answer a ping within
   * `requestTimeoutMs` is taken as gone: watches end with RegistryUnavailableError.
   */
  keepaliveMs?: number;
}
