-- Registers one student. KEYS[6]: its hash, KEYS[7]: its course's index, KEYS[8]: the trail,
-- KEYS[9..10]: the student's history (audit.lua: about), then the withdrawn students' indexes
-- and the INE index (lib.lua).
-- ARGV[2]: now, ARGV[3..]: the row (ROW_SIZE values), then the prefix of student hashes to refuse a
-- possible duplicate (same folded names and birth date), '' to register it anyway; then the
-- trail's (audit.lua).
-- A created outcome ends with the id: a retry under an Idempotency-Key whose id was generated
-- answers the id of its first run, and writes no second trail entry.
local outcome = recorded_outcome(decode_words)
if outcome then
  return outcome
end
local refused = years_refusal()
if refused then
  return refused
end
local result = create(read_row(2), KEYS[6], KEYS[7], ARGV[2], ARGV[3 + ROW_SIZE])
if result[1] == 'created' then
  audit(KEYS[8], 'sc', ARGV[3], {about(9, ARGV[3])})
  result[#result + 1] = ARGV[3]
  record_outcome(encode_words(result))
end
return result
