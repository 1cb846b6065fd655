/**
 * Lua scripts the Redis sink runs with EVAL: each is atomic on the server, so readers never see a
 * key half moved. They build key names from prefixes, so they need a standalone Redis (or one
 * shard): Redis Cluster refuses keys a script does not declare.
 */

/**
 * Rows come in batches: the sink encodes the rows in DuckDB into one flat JSON array per batch,
 * `[key1, v1, v2, …, key2, v1, v2, …]` (values as text, null where NULL, bytes as hex), so the
 * per-row work runs on the server instead of in a client encoding one command per row (flat, not an
 * array per row: the server decodes ~40% faster). Common ARGV from 3 on: the value format (`hash`
 * or `value`), one flag per value column (`1`: the text is hex of bytes), the TTL in ms (0: none),
 * then the hash's field names.
 */
const ROW_ARGS = `
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
local function unhex(v)
  return (string.gsub(v, '..', function(h) return string.char(tonumber(h, 16)) end))
end
`;

/** Writing the rows of a batch (ROW_ARGS). */
const PUT_ROW = `${ROW_ARGS}
local args = {}
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
 * What a key holds, as one short text (its digest): `s<sha1>` of a string's value, `h<sha1>` of a
 * hash's fields and values in the byte order of the field names, encoded as one JSON array; for
 * another type its name, `none` when the key does not exist. Undo compares it with the digest of
 * the row the load wrote there, to leave keys someone wrote since. Not DUMP: a hash stored as a
 * hash table serializes in its table's order, which a mere read can change (a rehash step).
 * `before` is byte order: Lua's own `<` follows the server's locale.
 */
const DIGEST = `
local function before(x, y)
  local n = math.min(string.len(x), string.len(y))
  for k = 1, n do
    local p, q = string.byte(x, k), string.byte(y, k)
    if p ~= q then return p < q end
  end
  return string.len(x) < string.len(y)
end
local function hashDigest(list) return 'h' .. redis.sha1hex(cjson.encode(list)) end
local function digest(t)
  local ty = redis.call('TYPE', t).ok
  if ty == 'string' then return 's' .. redis.sha1hex(redis.call('GET', t)) end
  if ty ~= 'hash' then return ty end
  local kv = redis.call('HGETALL', t)
  local at = {}
  for k = 1, #kv, 2 do at[#at + 1] = k end
  table.sort(at, function(x, y) return before(kv[x], kv[y]) end)
  local list = {}
  for _, k in ipairs(at) do
    list[#list + 1] = kv[k]
    list[#list + 1] = kv[k + 1]
  end
  return hashDigest(list)
end
`;

/**
 * The names of the upsert load whose id is l (names.ts upsertNames), and the other loads that may
 * still be undone (KEYS[n]: the set of undoable loads), but the run's own: its sinks are undone in
 * reverse order, each by itself.
 */
const LOADS = `
local function asideOf(l) return 'caudal:aside:' .. l .. ':' end
local function newOf(l) return 'caudal:new:' .. l end
local function claimsOf(l) return 'caudal:claims:' .. l end
local function otherLoads(undoable, me)
  local run = string.match(me, '^[^:]*:')
  local out = {}
  for _, l in ipairs(redis.call('SMEMBERS', undoable)) do
    if string.sub(l, 1, string.len(run)) ~= run then out[#out + 1] = l end
  end
  return out
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
 * Upsert commit of one staged batch. KEYS: the batch (written by the staging pass), its name once
 * committed (`caudal:wrote:…`), the set of undoable loads. ARGV[1] the aside prefix, ARGV[2] the
 * set of new keys (`caudal:new:<load id>`). Each key's old value is kept aside (or the key is
 * noted as new) so the commit can be undone until the run is over; the batch itself is kept as the
 * record of what was written, so that a late undo (after a lost connection: `caudal clean`, the
 * next run) leaves a key someone wrote since. A row that fails is put back at once (the script
 * runs alone: nobody wrote the key between); the rows before it stay written, for undo. Returns
 * { written, replaced }.
 *
 * A key another undoable load wrote (it still keeps the key's old value aside, or notes it as new)
 * is taken over: a claim in that load's claims hash names this load, with the key's digest then.
 * That load's undo leaves the key, even when this run wrote the very same value (which no digest
 * can tell), unless this load is undone too: its undo withdraws the claim once it has put the key
 * back (UNDO_BATCH), or, when that load is undone first, hands this load what the key held before.
 */
export const MOVE_ROWS_IN = `${PUT_ROW}${DIGEST}${LOADS}
local blob = redis.call('GET', KEYS[1])
-- A staged batch that is gone (evicted) stops the commit: the run undoes the load.
if not blob then return redis.error_reply('GONE the staged batch ' .. KEYS[1] .. ' is gone before the commit (evicted or deleted)') end
local a = cjson.decode(blob)
local me = string.sub(ARGV[2], string.len('caudal:new:') + 1)
local others = otherLoads(KEYS[3], me)
local fresh, claims, replaced, written = {}, {}, 0, 0
local moving, existed
local ok, err = pcall(function()
  for i = 1, #a, stride do
    local t = a[i]
    local nclaims = 0
    for _, l in ipairs(others) do
      if redis.call('EXISTS', asideOf(l) .. t) == 1 or redis.call('SISMEMBER', newOf(l), t) == 1 then
        claims[nclaims + 1] = claimsOf(l)
        claims[nclaims + 2] = digest(t) .. '>' .. me
        nclaims = nclaims + 2
      end
    end
    moving = t
    existed = redis.call('EXISTS', t) == 1
    if existed then redis.call('RENAME', t, ARGV[1] .. t) end
    put(t, a, i)
    if existed then replaced = replaced + 1 else fresh[#fresh + 1] = t end
    for c = 1, nclaims, 2 do redis.call('HSET', claims[c], t, claims[c + 1]) end
    moving = nil
    written = written + 1
  end
end)
if moving then
  if not existed then redis.call('DEL', moving)
  elseif redis.call('EXISTS', ARGV[1] .. moving) == 1 then redis.call('RENAME', ARGV[1] .. moving, moving) end
end
for i = 1, #fresh, 500 do redis.call('SADD', ARGV[2], unpack(fresh, i, math.min(i + 499, #fresh))) end
redis.call('RENAME', KEYS[1], KEYS[2])
if not ok then return redis.error_reply('ERR writing row ' .. (written + 1) .. ' of the batch: ' .. failure(err)) end
return { written, replaced }
`;

/**
 * Upsert undo of one committed batch (KEYS[1], `caudal:wrote:…`; KEYS[2] the set of undoable
 * loads; ARGV as MOVE_ROWS_IN's). For each row whose key the load replaced (its old value is aside)
 * or created (noted as new):
 * - the key still holds the row (its digest is the row's): the old value goes back (with the TTL
 *   it had) or the key goes; claims this load made on other loads' keys are withdrawn;
 * - a later load took it over and may still be undone: that load gets what the key held before
 *   this one (the old value as its kept copy, or the key as one it created);
 * - else it was written since (by an application, or a later load that is over): it stays, and
 *   the old value goes.
 * Rows the commit never reached have neither, and are passed by. The batch goes last: an undo cut
 * short resumes with the batches left. Returns { restored, removed, kept }.
 */
export const UNDO_BATCH = `${ROW_ARGS}${DIGEST}${LOADS}
local blob = redis.call('GET', KEYS[1])
if not blob then return { 0, 0, 0 } end
local a = cjson.decode(blob)
local aside, new = ARGV[1], ARGV[2]
local me = string.sub(new, string.len('caudal:new:') + 1)
local others = otherLoads(KEYS[2], me)
-- The digest of what put wrote for the row at i: a hash's fields in the byte order of their names.
local order = {}
for j = 1, ncol do order[j] = j end
table.sort(order, function(x, y) return before(names[x], names[y]) end)
local function rowDigest(i)
  if format ~= 'hash' then
    local v = a[i + 1]
    if hex[1] then v = unhex(v) end
    return 's' .. redis.sha1hex(v)
  end
  local list = {}
  for o = 1, ncol do
    local j = order[o]
    local v = a[i + j]
    if v ~= null then
      if hex[j] then v = unhex(v) end
      list[#list + 1] = names[j]
      list[#list + 1] = v
    end
  end
  return hashDigest(list)
end
local restored, removed, kept = 0, 0, 0
for i = 1, #a, stride do
  local t = a[i]
  local replaced = redis.call('EXISTS', aside .. t) == 1
  if replaced or redis.call('SISMEMBER', new, t) == 1 then
    local claim = redis.call('HGET', claimsOf(me), t)
    local by
    if claim then
      local then_, later = string.match(claim, '^([^>]*)>(.+)$')
      if then_ == rowDigest(i) and redis.call('SISMEMBER', KEYS[2], later) == 1 then by = later end
    end
    if by then
      if replaced then redis.call('RENAME', aside .. t, asideOf(by) .. t)
      else
        redis.call('UNLINK', asideOf(by) .. t)
        redis.call('SADD', newOf(by), t)
      end
      kept = kept + 1
    elseif not claim and digest(t) == rowDigest(i) then
      if replaced then
        redis.call('RENAME', aside .. t, t)
        restored = restored + 1
      else
        redis.call('UNLINK', t)
        removed = removed + 1
      end
      for _, l in ipairs(others) do
        local c = redis.call('HGET', claimsOf(l), t)
        if c and string.match(c, '>(.+)$') == me then redis.call('HDEL', claimsOf(l), t) end
      end
    else
      if replaced then redis.call('UNLINK', aside .. t) end
      kept = kept + 1
    end
    if not replaced then redis.call('SREM', new, t) end
  end
end
redis.call('DEL', KEYS[1])
return { restored, removed, kept }
`;

/**
 * Upsert undo of what no committed batch covers, for a batch of aside keys (KEYS). ARGV: aside
 * prefix, and `all` for a journal of a version that kept no record (every value goes back, as that
 * version did) or `absent` when the record is lost (evicted): a value goes back only onto a key
 * that does not exist, so that nothing written since is lost. Returns { restored, kept }.
 */
export const UNDO_ASIDE = `
local restored, kept = 0, 0
local len = string.len(ARGV[1])
for _, a in ipairs(KEYS) do
  if redis.call('EXISTS', a) == 1 then
    local t = string.sub(a, len + 1)
    if ARGV[2] == 'all' or redis.call('EXISTS', t) == 0 then
      redis.call('RENAME', a, t)
      restored = restored + 1
    else
      redis.call('UNLINK', a)
      kept = kept + 1
    end
  end
end
return { restored, kept }
`;

/**
 * Upsert undo of the created keys no committed batch covers (KEYS). ARGV: `all` (removed, as a
 * version that kept no record did) or `absent` (the record is lost: each stays). Returns
 * { removed, kept }.
 */
export const UNDO_NEW = `
local removed, kept = 0, 0
for _, t in ipairs(KEYS) do
  if ARGV[1] == 'all' then removed = removed + redis.call('UNLINK', t)
  else kept = kept + redis.call('EXISTS', t) end
end
return { removed, kept }
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
