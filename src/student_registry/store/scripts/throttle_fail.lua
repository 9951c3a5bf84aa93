-- Counts a failed sign-in. KEYS: the account's failures, the address's, the trail.
-- ARGV: now (ms), failures allowed before delays, first delay (ms), longest delay (ms),
-- the address window (ms), the email tried, then the trail's (audit.lua). Returns the delay now imposed on the account (ms).
local failures = redis.call('HINCRBY', KEYS[1], 'f', 1)
local free, first, longest = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local delay = 0
if failures >= free then
  -- Doubling from the first delay; the exponent is bounded so the number stays exact.
  delay = math.min(longest, first * 2 ^ math.min(failures - free, 40))
  redis.call('HSET', KEYS[1], 'w', tonumber(ARGV[1]) + delay)
end
-- Forgotten a day after the last failure.
redis.call('PEXPIRE', KEYS[1], longest + 86400000)
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
audit(KEYS[3], 'lf', ARGV[6])
return delay
