import type { DiscoveryBackends } from '../../discovery-backend.js';

/**
 * `consul://[host:8500][?dc=<dc>&token=<ACL token>&ns=<namespace>&check=grpc|ttl&wait=<ms>]`:
 * one local agent; the token defaults to CONSUL_HTTP_TOKEN. `consul` is imported only when
 * such a URL is used.
 */
export function registerConsulScheme(backends: DiscoveryBackends): void {
  backends.register('consul', {
    query: ['dc', 'token', 'ns', 'check', 'wait'],
    create: async ([url]) => {
      if (url.hosts.length > 1) url.fail('name one Consul agent (the local one)');
      if (url.credentials) url.fail('Consul takes no user or password; pass the ACL token as ?token=');
      if (url.path) url.fail('takes no path');
      const options = {
        host: url.hosts[0],
        token: url.string('token') ?? process.env.CONSUL_HTTP_TOKEN,
        datacenter: url.string('dc'),
        namespace: url.string('ns'),
        check: url.oneOf('check', ['grpc', 'ttl'], 'grpc'),
        waitMs: url.positiveNumber('wait'),
      };
      const { ConsulRegistry } = await import('./consul.registry.js');
      return new ConsulRegistry(options);
    },
  });
}
