-- Read-only: what an import would find for each row, without writing anything.
-- KEYS[1]: email index. ARGV[1]: student hash prefix, ARGV[2..]: pairs of id, email_norm.
-- Returns, per row, 1 if the id is registered else 0, then the id owning the email or ''.
local out = {}
for i = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('EXISTS', ARGV[1] .. ARGV[i])
  out[#out + 1] = ARGV[i + 1] ~= '' and redis.call('HGET', KEYS[1], ARGV[i + 1]) or ''
end
return out
