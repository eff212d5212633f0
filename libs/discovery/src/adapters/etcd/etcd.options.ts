import type { EtcdTlsCredentials } from '@nestmesh/common';

/** Defaults are in etcd.constants.ts. */
export interface EtcdRegistryOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  hosts: string[];
  /** Lease TTL of each registration, in seconds. Default 5; keep-alives go out every TTL/3. */
  ttlSeconds?: number;
  /**
   * Re-registration after a lost lease starts after a random 0..this many ms (0: at once).
   * Default the lesser of 1000 and TTL/5, so instances that lost their leases together do not
   * come back together.
   */
  reregisterSpreadMs?: number;
  /** Key prefix. Default `/nestmesh/services`. */
  prefix?: string;
  /** Deadline of each etcd request, in ms. Default 3000. */
  requestTimeoutMs?: number;
  auth?: { username: string; password: string };
  /** TLS to etcd (etcd3's `credentials`): the CA, and a client certificate and key for mTLS. */
  credentials?: EtcdTlsCredentials;
  /** Extra gRPC channel options (`grpc.ssl_target_name_override` for `?servername=`). */
  grpcOptions?: Record<string, string>;
  /** The URL as errors show it (redacted by them). Default `etcd://<hosts>`. */
  url?: string;
  /**
   * Keep-alive ping interval on open streams, in ms (default 10 000, at least 5 000: etcd's
   * `--grpc-keepalive-min-time`). An etcd that does not answer a ping within
   * `requestTimeoutMs` is taken as gone: watches end with RegistryUnavailableError.
   */
  keepaliveMs?: number;
}
