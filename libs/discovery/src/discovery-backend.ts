import { MemoryRegistry } from './adapters/memory/memory.registry.js';
import { DEFAULT_DISCOVERY_URL, DISCOVERY_URL_ENV } from './discovery.constants.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';
import type { Discovery } from './discovery.js';
import type { DiscoveryModuleOptions } from './discovery.module-definition.js';
import type { Registrar } from './registrar.js';

export type DiscoveryBackend = Registrar & Discovery & { close?(): void | Promise<void> };

interface ParsedUrl {
  scheme: string;
  credentials: { username: string; password: string } | undefined;
  hosts: string[];
  path: string;
  query: URLSearchParams;
}

/** `scheme://[user:pass@]host:port[,host:port…][/path][?query]`; several hosts are allowed. */
function parseUrl(url: string): ParsedUrl {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?]*)@)?([^/?]*)(\/[^?]*)?(?:\?(.*))?$/i.exec(url);
  if (!match)
    throw new InvalidDiscoveryOptionsError(
      `"${url}" is not a discovery URL (e.g. memory://, etcd://host:2379)`,
    );
  const [, scheme, userInfo, hostList, path, query] = match;
  const [username, password] = (userInfo ?? '').split(':').map(decodeURIComponent);
  return {
    scheme: scheme!.toLowerCase(),
    credentials: userInfo ? { username: username ?? '', password: password ?? '' } : undefined,
    hosts: hostList ? hostList.split(',').filter(Boolean) : [],
    path: path ?? '',
    query: new URLSearchParams(query ?? ''),
  };
}

function positiveNumber(url: string, query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidDiscoveryOptionsError(`"${url}": ${name}=${raw} must be a positive number`);
  }
  return value;
}

/**
 * Picks the backend the options (or DISCOVERY_URL) name. Backends other than memory are loaded
 * only when named, so an app on memory never loads an etcd or Consul client. An unusable URL
 * fails here, naming it.
 *   memory://[name]                        in-process registry (default)
 *   etcd://[user:pass@]host:2379[,host:2379…][?ttl=<s>&prefix=<key prefix>&timeout=<ms>]
 *   consul://[host:8500][?dc=<dc>&token=<acl token>&ns=<namespace>&check=grpc|ttl&wait=<ms>]
 */
export async function createDiscoveryBackend(options: DiscoveryModuleOptions): Promise<DiscoveryBackend> {
  if (options.backend) return options.backend;
  const url = options.url ?? process.env[DISCOVERY_URL_ENV] ?? DEFAULT_DISCOVERY_URL;
  const parsed = parseUrl(url);
  switch (parsed.scheme) {
    case 'memory':
      return MemoryRegistry.named(parsed.hosts.join(',') + parsed.path.replace(/^\/$/, ''));
    case 'etcd': {
      if (parsed.hosts.length === 0) throw new InvalidDiscoveryOptionsError(`"${url}" names no etcd host`);
      const { EtcdRegistry } = await import('./adapters/etcd/etcd.registry.js');
      return new EtcdRegistry({
        hosts: parsed.hosts.map((host) => `http://${host}`),
        auth: parsed.credentials,
        ttlSeconds: positiveNumber(url, parsed.query, 'ttl'),
        requestTimeoutMs: positiveNumber(url, parsed.query, 'timeout'),
        prefix: parsed.query.get('prefix') ?? undefined,
      });
    }
    case 'consul': {
      if (parsed.hosts.length > 1) throw new InvalidDiscoveryOptionsError(`"${url}": name one Consul agent`);
      const check = parsed.query.get('check') ?? 'grpc';
      if (check !== 'grpc' && check !== 'ttl') {
        throw new InvalidDiscoveryOptionsError(`"${url}": check=${check} must be grpc or ttl`);
      }
      const { ConsulRegistry } = await import('./adapters/consul/consul.registry.js');
      return new ConsulRegistry({
        host: parsed.hosts[0],
        token: parsed.query.get('token') ?? process.env.CONSUL_HTTP_TOKEN ?? undefined,
        datacenter: parsed.query.get('dc') ?? undefined,
        namespace: parsed.query.get('ns') ?? undefined,
        check,
        waitMs: positiveNumber(url, parsed.query, 'wait'),
      });
    }
    default:
      throw new InvalidDiscoveryOptionsError(
        `"${url}" has the unknown scheme "${parsed.scheme}:"; supported: memory://, etcd://, consul://`,
      );
  }
}
