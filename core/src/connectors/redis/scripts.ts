/**
 * Lua scripts the Redis sink runs with EVAL: each is atomic on the server, so readers never see a
 * key half moved. They build key names from prefixes, so they need a standalone Redis (or one
 * shard): Redis Cluster refuses keys a script does not declare.
 */

/**
 * Writing rows from a batch: the sink encodes the rows in DuckDB into one flat JSON array per batch,
 * `[key1, v1, v2, …, key2, v1, v2, …]` (values as text, null where NULL, bytes as hex), so the
 * per-row work runs on the server instead of in a client encoding one command per row (flat, not an
 * array per row: the server decodes ~40% faster). Common ARGV from 3 on: the value format (`hash`
 * or `value`), one flag per value column (`1`: the text is hex of bytes), the TTL in ms (0: none),
 * then the hash's field names.
 */
const PUT_ROW = `
local format, hexflags, ttl = ARGV[3], ARGV[4], tonumber(ARGV[5])
local ncol = string.len(hexflags)
local stride = ncol + 1
local names, hex, anyhex = {}, {}, false
for j = 1, ncol do
  names[j] = ARGV[5 + j]
  hex[j] = string.byte(hexflags, j) == 49
  anyhex = anyhex or hex[j]
end
local null = cjson.null
local args = {}
local function unhex(v)
  return (string.gsub(v, '..', function(h) return string.char(tonumber(h, 16)) end))
end
-- Writes the row that starts at position i of the batch onto key t.
local function put(t, a, i)
  if format == 'hash' then
    local n = 0
    for j = 1, ncol do
      local v = a[i + j]
      if v ~= null then
        if anyhex and hex[j] then v = unhex(v) end
        args[n + 1] = names[j]
        args[n + 2] = v
        n = n + 2
      end
    end
    -- unpack has a stack limit (~8,000 values): very wide rows go in pieces of 500 fields.
    for s = 1, n, 1000 do redis.call('HSET', t, unpack(args, s, math.min(s + 999, n))) end
  else
    local v = a[i + 1]
    if hex[1] then v = unhex(v) end
    redis.call('SET', t, v)
  end
  if ttl > 0 then redis.call('PEXPIRE', t, ttl) end
end
local function failure(e)
  if type(e) == 'table' and e.err then return e.err end
  return tostring(e)
end
`;

/**
 * A version's rows (replace_namespace): ARGV[1] the version prefix, ARGV[2] the batch. Returns the
 * number of keys written.
 */
export const WRITE_ROWS = `${PUT_ROW}
local a = cjson.decode(ARGV[2])
for i = 1, #a, stride do put(ARGV[1] .. a[i], a, i) end
return #a / stride
`;

/**
 * Upsert commit of one staged batch (KEYS[1], written by the staging pass). ARGV[1] the aside
 * prefix, ARGV[2] the set of new keys. Each key's old value is kept aside (or the key is noted as
 * new) so the commit can be undone until the run is over; the new keys are noted in the same
 * script, even when a row fails, so undo deletes exactly them. Returns { written, replaced }.
 */
export const MOVE_ROWS_IN = `${PUT_ROW}
local blob = redis.call('GET', KEYS[1])
-- A staged batch that is gone (evicted) stops the commit: the run undoes the load.
if not blob then return redis.error_reply('GONE the staged batch ' .. KEYS[1] .. ' is gone before the commit (evicted or deleted)') end
local a = cjson.decode(blob)
local fresh, replaced, written = {}, 0, 0
local ok, err = pcall(function()
  for i = 1, #a, stride do
    local t = a[i]
    if redis.call('EXISTS', t) == 1 then
      redis.call('RENAME', t, ARGV[1] .. t)
      replaced = replaced + 1
    else
      fresh[#fresh + 1] = t
    end
    put(t, a, i)
    written = written + 1
  end
end)
for i = 1, #fresh, 500 do redis.call('SADD', ARGV[2], unpack(fresh, i, math.min(i + 499, #fresh))) end
if not ok then return redis.error_reply('ERR writing row ' .. (written + 1) .. ' of the batch: ' .. failure(err)) end
redis.call('DEL', KEYS[1])
return { written, replaced }
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
