// Starts a redis-server and an etcd, prints their pids as one JSON line, and stays up until it
// is killed: the process whose death must take its servers with it (child-process.spec).
import { startEtcd } from '../etcd-server.js';
import { startRedis } from '../redis-server.js';

const [redis, etcd] = await Promise.all([startRedis(), startEtcd()]);
console.log(JSON.stringify({ redis: redis.pid, etcd: etcd.pid }));
setInterval(() => undefined, 60_000);
