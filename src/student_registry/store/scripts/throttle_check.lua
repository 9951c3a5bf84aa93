-- How long a sign-in must wait (ms, 0: go ahead). KEYS: the account's failures, the address's.
-- ARGV: now (ms), the address's budget of failures per window.
local wait = 0
local not_before = redis.call('HGET', KEYS[1], 'w')
if not_before then
  wait = math.max(0, tonumber(not_before) - tonumber(ARGV[1]))
end
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures >= tonumber(ARGV[2]) then
  wait = math.max(wait, redis.call('PTTL', KEYS[2]))
end
return wait
