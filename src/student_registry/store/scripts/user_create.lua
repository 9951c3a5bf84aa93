-- Creates a user. KEYS: the user's hash, the set of users, the trail.
-- ARGV: email as typed, lower-cased email, role, password hash, created (s), only_first ("1":
-- only while no user exists, so that workers starting together create one first admin), then
-- the trail's (audit.lua).
local USER, USERS = KEYS[1], KEYS[2]
if ARGV[6] == '1' and redis.call('SCARD', USERS) > 0 then
  return 'not_first'
end
if redis.call('EXISTS', USER) == 1 then
  return 'exists'
end
redis.call('HSET', USER, 'e', ARGV[1], 'r', ARGV[3], 'p', ARGV[4], 't', ARGV[5])
redis.call('SADD', USERS, ARGV[2])
audit(KEYS[3], 'uc', ARGV[2])
return 'ok'
