-- Deletes one student if it is still at the revision, and in the course, the caller read.
-- KEYS[6]: its hash, KEYS[7]: its course's index (of its status), KEYS[8]: the trail,
-- KEYS[9..10]: its history, then the withdrawn students' indexes and the INE index (lib.lua).
-- ARGV[2]: its id, ARGV[3]: expected revision,
-- ARGV[4]: expected course.
local outcome = recorded_outcome(decode_words)
if outcome then
  return outcome
end
local refused = years_refusal(true)
if refused then
  return refused
end
local result = delete(ARGV[2], KEYS[6], ARGV[3], {ARGV[4], KEYS[7]})
if result[1] == 'deleted' then
  audit(KEYS[8], 'sd', ARGV[2], {about(9, ARGV[2])})
  record_outcome(encode_words(result))
end
return result
