-- Stores a new API token for an enabled user. KEYS: the token's hash, the token id -> digest
-- hash, the owner's token ids, the owner's hash, the trail.
-- ARGV: id, digest, owner (lower-cased email), name, expires (s), read_only ("1" or ""),
-- created (s), then the trail's (audit.lua).
local TOKEN, TOKEN_IDS, OWNER_TOKENS, OWNER = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner = redis.call('HMGET', OWNER, 'r', 'd')
if not owner[1] or owner[2] == '1' then
  return 'no_user'
end
-- Sent again after a lost reply: stored already, and its entry written.
if redis.call('HEXISTS', TOKEN_IDS, ARGV[1]) == 1 then
  return 'ok'
end
redis.call('HSET', TOKEN, 'i', ARGV[1], 'o', ARGV[3], 'n', ARGV[4], 'x', ARGV[5], 't', ARGV[7])
if ARGV[6] == '1' then
  redis.call('HSET', TOKEN, 'r', '1')
end
redis.call('EXPIREAT', TOKEN, ARGV[5])
redis.call('HSET', TOKEN_IDS, ARGV[1], ARGV[2])
redis.call('SADD', OWNER_TOKENS, ARGV[1])
audit(KEYS[5], 'tc', ARGV[1])
return 'ok'
