/**
 * The atomic multi-record change, as one Lua script (no WATCH/MULTI: ioredis multiplexes one
 * connection, so optimistic transactions from concurrent handlers would interfere).
 *
 * KEYS: the collection hashes the changes touch, all in one partition (one hash tag, one slot),
 *       then the due-index keys of the intents, if any.
 * ARGV: [n, then per change: keyIndex, id, expect ('' = any), op ('p' put | 'k' put keeping the
 *       current expiresAt and nonce | 'd' delete), expiresAt ('' = none), nonce, json;
 *       then m, and per expiry intent: keyIndex, score, member]
 * The intents (ZADD to the due index) are written with the changes, before them, only when every
 * expectation holds. They live in other slots, so only a single Redis server takes them here; a
 * Cluster client passes m = 0 and writes them itself first (see RedisStore.apply).
 * Field value: "<version>\t<expiresAt>\t<nonce>\t<json>"; only the header is parsed here, the JSON
 * is opaque to Lua (cjson would turn [] into {} and round large numbers).
 *
 * Returns {1, v1, ..., vn, o1, ..., on} with the new versions (0 for deletes) and the expiry nonce
 * each change replaced ('' when none, or when 'k' kept it), or {0, i1, cur1, i2, cur2, ...}
 * with the 0-based index and the raw current value ('' when absent) of each failed expectation.
 * Nothing is written unless every expectation holds.
 *
 * `apply_group(o)` does this for the change whose n is ARGV[o] and returns the reply and where the
 * next group's arguments start, so {@link APPLY_EACH_LUA} can run several in one script.
 */
const APPLY_GROUP_LUA = `
local function apply_group(o)
  local n = tonumber(ARGV[o])
  local m = tonumber(ARGV[o + 1 + n * 7])
  local nxt = o + 2 + n * 7 + m * 3
  local versions = {}
  local olds = {}
  local failed = {0}
  for i = 0, n - 1 do
    local b = o + 1 + i * 7
    local cur = redis.call('HGET', KEYS[tonumber(ARGV[b])], ARGV[b + 1])
    local ver = 0
    if cur then ver = tonumber(string.match(cur, '^(%d+)')) end
    versions[i + 1] = ver
    olds[i + 1] = ''
    if cur then olds[i + 1] = string.match(cur, '^%d+\\t[^\\t]*\\t([^\\t]*)\\t') end
    local expect = ARGV[b + 2]
    if expect ~= '' and tonumber(expect) ~= ver then
      failed[#failed + 1] = i
      failed[#failed + 1] = cur or ''
    end
  end
  if #failed > 1 then return failed, nxt end
  for j = 0, m - 1 do
    local b = o + 2 + n * 7 + j * 3
    redis.call('ZADD', KEYS[tonumber(ARGV[b])], ARGV[b + 1], ARGV[b + 2])
  end
  local out = {1}
  for i = 0, n - 1 do
    local b = o + 1 + i * 7
    local key = KEYS[tonumber(ARGV[b])]
    local op = ARGV[b + 3]
    if op == 'p' or op == 'k' then
      local v = versions[i + 1] + 1
      local exp, nonce = ARGV[b + 4], ARGV[b + 5]
      if op == 'k' then
        local cur = redis.call('HGET', key, ARGV[b + 1])
        exp, nonce = '', ''
        if cur then exp, nonce = string.match(cur, '^%d+\\t([^\\t]*)\\t([^\\t]*)\\t') end
        olds[i + 1] = ''
      end
      redis.call('HSET', key, ARGV[b + 1], v .. '\\t' .. exp .. '\\t' .. nonce .. '\\t' .. ARGV[b + 6])
      out[#out + 1] = v
    else
      redis.call('HDEL', key, ARGV[b + 1])
      out[#out + 1] = 0
    end
  end
  for i = 1, n do out[#out + 1] = olds[i] end
  return out, nxt
end
`;

export const APPLY_LUA = `${APPLY_GROUP_LUA}
return (apply_group(1))
`;

/**
 * Several partitions' changes in one script (a single Redis server only: the keys lie in many
 * slots). ARGV: [g, then each group as for {@link APPLY_LUA}]; KEYS indexes are global. Each group
 * is checked and written on its own (one refused group leaves the others applied); returns the
 * groups' replies in order.
 */
export const APPLY_EACH_LUA = `${APPLY_GROUP_LUA}
local o = 2
local all = {}
for g = 1, tonumber(ARGV[1]) do
  local r
  r, o = apply_group(o)
  all[g] = r
end
return all
`;

/** Reads hash fields of many keys at once (single server only). ARGV: [keyIndex, field]…; '' for a missing field. */
export const GET_MANY_LUA = `
local out = {}
for i = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HGET', KEYS[tonumber(ARGV[i])], ARGV[i + 1]) or ''
end
return out
`;
