-- A successful sign-in: forgets the account's failures and trails it.
-- KEYS: the account's failures, the trail. ARGV: the email, then the trail's (audit.lua).
redis.call('DEL', KEYS[1])
audit(KEYS[2], 'ls', ARGV[1])
