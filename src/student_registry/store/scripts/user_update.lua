-- Changes a user and, when asked, ends every session and token of theirs in the same step.
-- KEYS: the user's hash, their token ids, their session ids, the token id -> digest hash, the
-- trail, the operation's outcome record (see lib.lua: a retry answers it and writes nothing).
-- ARGV: token hash prefix, session key prefix, end_access ("1" or "0"), how long the outcome
-- record lives (ms), then field/value pairs
-- to set; a value of '' deletes the field (d: enabled again); then the trail's (audit.lua): the
-- target, the user's lower-cased email, is its first value.
local USER, TOKENS, SESSIONS, TOKEN_IDS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', KEYS[6]) == 1 then
  return 'ok'
end
if redis.call('EXISTS', USER) == 0 then
  return 'not_found'
end
for i = 5, #ARGV - AUDIT_ARGS - 1, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', USER, ARGV[i])
  else
    redis.call('HSET', USER, ARGV[i], ARGV[i + 1])
  end
end
if ARGV[3] == '1' then
  for _, token_id in ipairs(redis.call('SMEMBERS', TOKENS)) do
    local digest = redis.call('HGET', TOKEN_IDS, token_id)
    if digest then
      redis.call('DEL', ARGV[1] .. digest)
      redis.call('HDEL', TOKEN_IDS, token_id)
    end
  end
  for _, session_id in ipairs(redis.call('SMEMBERS', SESSIONS)) do
    redis.call('DEL', ARGV[2] .. session_id)
  end
  redis.call('DEL', TOKENS, SESSIONS)
end
audit(KEYS[5], 'uu', ARGV[#ARGV - AUDIT_ARGS])
redis.call('SET', KEYS[6], 'ok', 'PX', ARGV[4])
return 'ok'
