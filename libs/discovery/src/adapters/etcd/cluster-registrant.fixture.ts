// A separate process that registers one instance on an etcd cluster and, when told `close` on
// stdin, closes its registry and must then exit by itself (nothing of the registry left alive):
// `node cluster-registrant.fixture.js <json hosts> <json instance> <ttlSeconds>`. Prints `registered`.
import type { ServiceInstance } from '../../service-instance.js';
import { EtcdRegistry } from './etcd.registry.js';

const [hosts, json, ttl] = process.argv.slice(2);
const registry = new EtcdRegistry({
  hosts: JSON.parse(hosts) as string[],
  ttlSeconds: Number(ttl),
  requestTimeoutMs: 2_000,
});
await registry.register(JSON.parse(json) as ServiceInstance);
console.log('registered');
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  if (!chunk.includes('close')) return;
  process.stdin.destroy();
  registry.close();
  console.log('closed');
});
