-- Appends an entry that records no change: a sign-in, an export, a record's access.
-- KEYS[1]: the trail, then two keys for each student it is about (audit.lua: about).
-- ARGV[1]: action code, ARGV[2]: target, ARGV[3..]: the ids of those students, then the
-- trail's (audit.lua). Returns the entry id.
local students = {}
for i = 1, (#KEYS - 1) / 2 do
  students[i] = about(2 * i, ARGV[2 + i])
end
return audit(KEYS[1], ARGV[1], ARGV[2], students)
