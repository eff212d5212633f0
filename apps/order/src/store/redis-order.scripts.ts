/**
 * Lua scripts of RedisOrderStore's idempotency keys. KEYS[1] is the key's record; ARGV[1] the
 * exact claim this instance wrote (a random owner id in it makes it unique), so an instance only
 * ever changes a claim that is still its own.
 */

/**
 * Marks a claim placed: its record becomes ARGV[2] kept ARGV[3] ms. Also when the claim has
 * expired and nobody claimed the key since (the order exists, the key should say so).
 * Returns 1, or 0 when another instance holds the key now.
 */
export const MARK_PLACED = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or current == false then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`;

/** Deletes the claim if it is still ARGV[1] (a failed placement forgets its key). Returns 1 or 0. */
export const RELEASE_CLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
