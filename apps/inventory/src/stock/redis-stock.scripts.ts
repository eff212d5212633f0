// The Lua scripts of RedisStockStore. Each check of a fencing value and the read or write it
// guards run in one script, so nothing can come between them.

// A read under a lease, fenced like the writes. KEYS[1] = the SKU's hash, KEYS[2] = the
// restock epoch; ARGV[1] = the reader's SKU lock token, ARGV[2] = its leadership epoch ('' =
// none). A token or epoch older than one already seen is refused (-1 / -2); otherwise it is
// recorded, so that no older one can write afterwards — a store that fenced only writes loses
// an update when a stalled holder's write lands between a newer holder's read and its write.
// An unknown SKU reads as {} and records nothing.
export const FENCED_READ = `
if ARGV[1] ~= '' and tonumber(ARGV[1]) < tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then return -1 end
if ARGV[2] ~= '' and tonumber(ARGV[2]) < tonumber(redis.call('GET', KEYS[2]) or '0') then return -2 end
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'fence', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
return redis.call('HGETALL', KEYS[1])`;

// Writes a SKU's level only if the writer's fencing token is at least the last one the SKU
// has seen (read or written): a holder whose lease ran out (paused, partitioned) cannot
// overwrite newer stock. The reservation that caused the change is written in the same
// script, so stock and reservations never disagree, whatever fails in between: its JSON, its
// order's set, its (order, SKU) pair's id (idempotent ReserveStock) and its place in the
// expiry index (a score adds it, '' removes it). A write by the reconcile job also carries
// the leadership epoch, fenced like a restock (-2); '' = none.
// KEYS: 1 SKU hash, 2 reservation, 3 order set, 4 pair, 5 expiry index, 6 restock epoch.
// ARGV: 1 token, 2..5 available, reserved, version, updatedAt, 6 reservation JSON, 7 its id,
// 8 expiry score or '', 9 epoch or ''.
export const FENCED_WRITE = `
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < last then return 0 end
if ARGV[9] ~= '' then
  if tonumber(ARGV[9]) < tonumber(redis.call('GET', KEYS[6]) or '0') then return -2 end
  redis.call('SET', KEYS[6], ARGV[9])
end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'available', ARGV[2], 'reserved', ARGV[3], 'version', ARGV[4], 'updatedAt', ARGV[5])
redis.call('SET', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[7])
redis.call('SET', KEYS[4], ARGV[7])
if ARGV[8] == '' then redis.call('ZREM', KEYS[5], ARGV[7]) else redis.call('ZADD', KEYS[5], ARGV[8], ARGV[7]) end
return 1`;

// Confirms a reservation (no stock moves): fenced by the SKU lock's token like every change
// of the SKU's reservations, so that a confirmation and the reconcile job's release of the
// same reservation cannot both land. KEYS: 1 SKU hash, 2 reservation, 3 expiry index;
// ARGV: 1 token, 2 the confirmed reservation's JSON, 3 its id.
export const CONFIRM = `
if tonumber(ARGV[1]) < tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 1`;

// A restock: fenced twice. The SKU lock's token (as for every write to a SKU) and the
// leadership epoch of the job, kept in one key for all SKUs: an older epoch than the last
// seen one is refused (-2) even when nothing needs topping up, so that a replaced leader
// learns it at once. ARGV[3] = '' records the epoch without writing.
export const RESTOCK = `
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < last then return -1 end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) < epoch then return -2 end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == '' then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'available', ARGV[3], 'version', ARGV[4], 'updatedAt', ARGV[5])
return 1`;

// An import's addition: fenced by the SKU lock's token like every write to a SKU, and it adds
// the SKU to the set of SKUs (an unknown SKU is created). KEYS[1] = the SKU's hash, KEYS[2] =
// the SKU set; ARGV[1] = token, ARGV[2..5] = available, reserved, version, updatedAt,
// ARGV[6] = the SKU.
export const ADD = `
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'available', ARGV[2], 'reserved', ARGV[3], 'version', ARGV[4], 'updatedAt', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[6])
return 1`;
