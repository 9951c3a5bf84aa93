-- Appends an entry that records no change: a sign-in, an export, a record's access.
-- KEYS[1]: the trail, KEYS[2..]: the histories of the students it is about.
-- ARGV[1]: action code, ARGV[2]: target, then the trail's (audit.lua). Returns the entry id.
local histories = {}
for i = 2, #KEYS do
  histories[#histories + 1] = KEYS[i]
end
return audit(KEYS[1], ARGV[1], ARGV[2], histories)
