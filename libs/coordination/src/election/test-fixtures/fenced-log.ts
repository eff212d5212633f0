// The store leaders write to in the election tests: a write carries the writer's epoch and is
// accepted only if no higher epoch has been accepted — what a store that trusts fencing
// epochs does. Accepted writes are logged (epoch, candidate) so a test can check that no two
// leaders' writes were both accepted out of order.
import type { Redis } from 'ioredis';

export interface FencedLog {
  write(epoch: bigint, candidateId: string): Promise<boolean>;
  /** Accepted writes, oldest first. */
  accepted(): Promise<{ epoch: bigint; candidateId: string }[]>;
}

const WRITE = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1] .. ' ' .. ARGV[2])
return 1`;

export function redisFencedLog(redis: Redis, name: string): FencedLog {
  return {
    write: async (epoch, candidateId) =>
      (await redis.eval(WRITE, 2, `${name}:epoch`, `${name}:log`, epoch.toString(), candidateId)) === 1,
    accepted: async () =>
      (await redis.lrange(`${name}:log`, 0, -1)).map((entry) => {
        const [epoch, candidateId] = entry.split(' ');
        return { epoch: BigInt(epoch), candidateId };
      }),
  };
}

export function memoryFencedLog(): FencedLog {
  let last = 0n;
  const log: { epoch: bigint; candidateId: string }[] = [];
  return {
    write: (epoch, candidateId) => {
      if (epoch < last) return Promise.resolve(false);
      last = epoch;
      log.push({ epoch, candidateId });
      return Promise.resolve(true);
    },
    accepted: () => Promise.resolve([...log]),
  };
}
