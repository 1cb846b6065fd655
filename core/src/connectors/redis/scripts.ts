/**
 * Lua scripts the Redis sink runs with EVAL: each is atomic on the server, so readers never see a
 * key half moved. They build key names from prefixes, so they need a standalone Redis (or one
 * shard): Redis Cluster refuses keys a script does not declare.
 */

/**
 * Upsert commit, for a batch of target keys (KEYS). ARGV: stage prefix, aside prefix, the set of new
 * keys, TTL in ms (0: none). Each staged value replaces its target; the target's old value is kept
 * aside (or the key is noted as new) so the commit can be undone until the run is over.
 * Returns { moved, replaced }.
 */
export const MOVE_IN = `
local moved, replaced = 0, 0
local ttl = tonumber(ARGV[4])
local existed, fresh = {}, {}
for i, t in ipairs(KEYS) do
  existed[i] = redis.call('EXISTS', t) == 1
  if not existed[i] then fresh[#fresh + 1] = t end
end
-- The new keys are noted, in one call, before anything moves: a script stopped by an error keeps
-- what it did so far, and undo deletes exactly the noted keys (one not moved yet does not exist).
if #fresh > 0 then redis.call('SADD', ARGV[3], unpack(fresh)) end
for i, t in ipairs(KEYS) do
  if existed[i] then
    redis.call('RENAME', t, ARGV[2] .. t)
    replaced = replaced + 1
  end
  -- A staged value that is gone (evicted) stops the script with an error: the run undoes the load.
  redis.call('RENAME', ARGV[1] .. t, t)
  if ttl > 0 then redis.call('PEXPIRE', t, ttl) end
  moved = moved + 1
end
return { moved, replaced }
`;

/**
 * Upsert undo, for a batch of aside keys (KEYS). ARGV: aside prefix. Each aside value goes back to
 * its key (with the TTL it had).
 */
export const RESTORE_ASIDE = `
local n = 0
local len = string.len(ARGV[1])
for _, a in ipairs(KEYS) do
  if redis.call('EXISTS', a) == 1 then
    redis.call('RENAME', a, string.sub(a, len + 1))
    n = n + 1
  end
end
return n
`;

/**
 * replace_namespace commit: KEYS[1] the pointer; ARGV: the value it must still have (empty: none),
 * the new version. Fails when another writer moved the pointer since the run prepared.
 */
export const SWITCH_POINTER = `
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then
  return redis.error_reply('CHANGED the pointer ' .. KEYS[1] .. ' was switched to ' .. tostring(cur) .. ' by someone else while the run was writing')
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

/** replace_namespace undo: KEYS[1] the pointer; ARGV: our version, the previous one (empty: none). Only if it is still ours. */
export const SWITCH_BACK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
  return 1
end
return 0
`;
