-- Writes a batch of rows. KEYS[6..5+n]: the student hashes of the n rows, in order, then the
-- indexes of the rows' courses, each once, in the order the courses first appear, then the
-- trail, then the histories of the n rows' students, in order (two keys each: audit.lua about),
-- then the withdrawn students' indexes and the INE index (lib.lua). A course's index is that of
-- the row's status: one key for each status and course, in the order they first appear.
-- ARGV[2]: course index prefix, ARGV[3]: now, ARGV[4]: on conflict (fail | skip | update; a row
-- an update would not change is 'unchanged', and not written),
-- ARGV[5]: '1' for all or nothing, ARGV[6]: the prefix of student hashes to refuse possible
-- duplicates of registered students or of rows before ('' to let them in), ARGV[7]: the
-- withdrawn students' course index prefix, ARGV[8..]: rows of ROW_SIZE values (lib.lua), then
-- the caller's year (lib.lua) and the trail's (audit.lua). Returns one status per row, behind 'ok' or
-- 'aborted'. Creations gather their index writes and apply them once, at the end (see lib.lua).
-- All or nothing: a first pass decides every row against the data and the rows before it,
-- without writing; any failure aborts. It is conservative (an email released earlier in the
-- same batch still counts as taken), so the writing pass cannot fail half-way.
local COURSE_PREFIX, now, mode, atomic = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local STUDENT_PREFIX, W_COURSE_PREFIX, ROWS = ARGV[6], ARGV[7], 7
-- The rows end where the caller's year (lib.lua) and the trail's arguments begin.
local count = (#ARGV - ROWS - 1 - AUDIT_ARGS) / ROW_SIZE

-- Statuses as letters, in runs ('c2000' for 2000 created): a batch's record stays small.
local LETTERS = {
  created = 'c', updated = 'u', skipped = 's', exists = 'x', email_taken = 'm', duplicate = 'd',
  ine_taken = 'i', unchanged = 'n',
}
local STATUSES = {}
for status, letter in pairs(LETTERS) do
  STATUSES[letter] = status
end

local function encode(statuses)
  local runs, r = {'ok '}, 1
  while r <= #statuses do
    local run_end = r
    while statuses[run_end + 1] == statuses[r] do
      run_end = run_end + 1
    end
    runs[#runs + 1] = LETTERS[statuses[r]] .. (run_end - r + 1)
    r = run_end + 1
  end
  return table.concat(runs)
end

local function decode(encoded)
  local statuses = {}
  for letter, n in string.gmatch(string.sub(encoded, 4), '(%a)(%d+)') do
    for _ = 1, tonumber(n) do
      statuses[#statuses + 1] = STATUSES[letter]
    end
  end
  return {'ok', statuses}
end

local outcome = recorded_outcome(decode)
if outcome then
  return outcome
end
local refused = years_refusal()
if refused then
  return {refused[1], {}}
end

local course_keys, declared = {}, 5 + count
-- A course as course_keys names it: with its status in front.
local function course_name(course, withdrawn)
  return (withdrawn and 'w' or 'e') .. course
end

for r = 1, count do
  local at = ROWS + (r - 1) * ROW_SIZE
  local course = course_name(ARGV[at + 5], ARGV[at + 14] ~= '')
  if not course_keys[course] then
    declared = declared + 1
    course_keys[course] = KEYS[declared]
  end
end

-- The one key a write script does not declare: the index of the course a student leaves when
-- an import in update mode replaces it. That course is known only once the script has read the
-- student's hash; reading it beforehand would race with other writers, and the batch would then
-- have to be sent again whenever one had moved the student meanwhile.
local function course_left(course, withdrawn)
  return course_keys[course_name(course, withdrawn)]
    or (withdrawn and W_COURSE_PREFIX or COURSE_PREFIX) .. course
end

local function plan()
  local ids, emails, people, statuses, failed = {}, {}, {}, {}, false
  local ines = {}
  for r = 1, count do
    local row = read_row(ROWS + (r - 1) * ROW_SIZE)
    local exists = ids[row[1]] or redis.call('EXISTS', KEYS[5 + r]) == 1
    local owner = emails[row[7]] or email_owner(row[7])
    local ine_holder = ines[row[10]] or ine_owner(row[10])
    local status
    if exists and mode == 'skip' then
      status = 'skipped'
    elseif exists and mode ~= 'update' then
      status = 'exists'
    elseif owner and owner ~= row[1] then
      status = 'email_taken'
    elseif ine_holder and ine_holder ~= row[1] then
      status = 'ine_taken'
    elseif not exists and STUDENT_PREFIX ~= ''
        and (people[same_person(row)] or #duplicates(row, STUDENT_PREFIX) > 0) then
      status = 'duplicate'
    else
      status = exists and 'updated' or 'created'
      ids[row[1]] = true
      people[same_person(row)] = true
      if row[7] ~= '' then
        emails[row[7]] = row[1]
      end
      if row[10] ~= '' then
        ines[row[10]] = row[1]
      end
    end
    failed = failed or status == 'exists' or status == 'email_taken' or status == 'duplicate'
      or status == 'ine_taken'
    statuses[r] = status
  end
  return statuses, failed
end

if atomic then
  local statuses, failed = plan()
  if failed then
    return {'aborted', statuses}
  end
end

local statuses, changed = {}, false
if mode ~= 'update' then
  defer_indexes()
end
for r = 1, count do
  local row = read_row(ROWS + (r - 1) * ROW_SIZE)
  local student_key = KEYS[5 + r]
  local course_key = course_keys[course_name(row[5], is_withdrawn(row))]
  local result = create(row, student_key, course_key, now, STUDENT_PREFIX)
  if result[1] == 'exists' and mode == 'skip' then
    result = {'skipped'}
  elseif result[1] == 'exists' and mode == 'update' and holds_row(row, student_key) then
    result = {'unchanged'}
  elseif result[1] == 'exists' and mode == 'update' then
    result = replace(row, student_key, course_key, now, '', course_left)
  end
  statuses[r] = result[1]
  changed = changed or result[1] == 'created' or result[1] == 'updated'
end
if mode ~= 'update' then
  apply_pending_indexes()
end
if changed then
  -- One entry for the batch: the ids written, the counts, in each written student's history.
  local written, histories = {}, {}
  for r = 1, count do
    if statuses[r] == 'created' or statuses[r] == 'updated' then
      written[#written + 1] = ARGV[ROWS + (r - 1) * ROW_SIZE + 1]
      histories[#histories + 1] = about(declared + 2 * r, written[#written])
    end
  end
  local encoded = encode(statuses)
  audit(KEYS[declared + 1], 'si', table.concat(written, ' '), histories, string.sub(encoded, 4))
  record_outcome(encoded)
end
return {'ok', statuses}
