-- Revokes a token by its id. KEYS: the token id -> digest hash, the trail.
-- ARGV: id, token hash prefix, per-user token set prefix, owner required ('' for anyone's),
-- then the trail's (audit.lua).
local TOKEN_IDS = KEYS[1]
local digest = redis.call('HGET', TOKEN_IDS, ARGV[1])
if not digest then
  return 'not_found'
end
local owner = redis.call('HGET', ARGV[2] .. digest, 'o')
if ARGV[4] ~= '' and owner ~= ARGV[4] then
  return 'not_found'
end
redis.call('DEL', ARGV[2] .. digest)
redis.call('HDEL', TOKEN_IDS, ARGV[1])
if owner then
  redis.call('SREM', ARGV[3] .. owner, ARGV[1])
end
audit(KEYS[2], 'tr', ARGV[1])
return 'ok'
