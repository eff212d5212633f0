// A fenced write, as a store that trusts fencing tokens does it: the write goes through only
// if its token is at least the highest token the key has accepted (same holder may write again).
import type { Redis } from 'ioredis';

const FENCED_SET = `
local last = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'value', ARGV[2])
return 1`;

export async function fencedSet(redis: Redis, key: string, token: bigint, value: string): Promise<boolean> {
  return (await redis.eval(FENCED_SET, 1, key, token.toString(), value)) === 1;
}
