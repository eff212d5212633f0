// A separate process that registers one instance in etcd and then waits to be killed:
// `node registrant.fixture.js <endpoint> <json instance> <ttlSeconds>`. Prints `registered`.
import type { ServiceInstance } from '../../service-instance.js';
import { EtcdRegistry } from './etcd.registry.js';

const [endpoint, json, ttl] = process.argv.slice(2);
const registry = new EtcdRegistry({ hosts: [endpoint], ttlSeconds: Number(ttl) });
await registry.register(JSON.parse(json) as ServiceInstance); // register() validates it
console.log('registered');
setInterval(() => undefined, 60_000);
