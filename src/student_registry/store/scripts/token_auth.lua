-- Authenticates an API token in one round trip: the token, then its owner's current state.
-- KEYS: the token's hash. ARGV: now (s), user hash prefix, seconds between last-used writes.
-- Returns {} when refused, else {id, owner's email, owner's role, read_only}.
local TOKEN = KEYS[1]
local now = tonumber(ARGV[1])
local token = redis.call('HMGET', TOKEN, 'i', 'o', 'x', 'r', 'u')
if not token[1] or tonumber(token[3]) <= now then
  return {}
end
local owner = redis.call('HMGET', ARGV[2] .. token[2], 'e', 'r', 'd')
if not owner[1] or owner[3] == '1' then
  return {}
end
if not token[5] or now - tonumber(token[5]) >= tonumber(ARGV[3]) then
  redis.call('HSET', TOKEN, 'u', ARGV[1])
end
return {token[1], owner[1], owner[2], token[4] or ''}
