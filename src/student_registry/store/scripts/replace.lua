-- Replaces one student's fields if it is still at the revision, and in the course, the caller
-- read. KEYS[6]: its hash, KEYS[7]: its new course's index, KEYS[8]: the index of the course it
-- leaves, KEYS[9]: the trail, KEYS[10..11]: the student's history, then the withdrawn
-- students' indexes and the INE index (lib.lua). The course indexes are those of the new
-- status, and of the status the student was read with. ARGV[2]: now, ARGV[3]: expected
-- revision, ARGV[4]: expected course, ARGV[5..]: the row (ROW_SIZE values).
local outcome = recorded_outcome(decode_words)
if outcome then
  return outcome
end
local refused = years_refusal()
if refused then
  return refused
end
local result = replace(read_row(4), KEYS[6], KEYS[7], ARGV[2], ARGV[3], {ARGV[4], KEYS[8]})
if result[1] == 'updated' then
  audit(KEYS[9], result[4], ARGV[5], {about(10, ARGV[5])})
  record_outcome(encode_words(result))
end
return result
