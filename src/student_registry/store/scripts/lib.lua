-- Shared by every write script. The first five KEYS are the same for all of them: order index,
-- first-name index, course counts, email index, and the operation's outcome record; after them
-- each script declares the student hashes and course indexes it touches (see its header).
-- The last four KEYS are the same for all too: the withdrawn students' order index,
-- first-name index and course counts, twins of the first three (keys.py), then the INE index.
-- ARGV[1]: how long the outcome record lives, in milliseconds.
-- A row is {id, first_name, last_name, birth_date, course, email, email_norm, sort_key, sex, ine,
-- birthplace, guardians, entry_date, exit_date, exit_reason}: ROW_SIZE values, '' for an absent
-- one; dates YYYYMMDD; exit_date '' for an enrolled student (a withdrawn one has one);
-- entry_date '' to keep the stored one (the creation day if none).
-- Every write script declares the INE index (INE -> id) last of its KEYS, the withdrawn
-- students' three indexes just before it.
-- Student hashes use the one-letter field names listed in keys.py; times are microseconds.
-- School years: the index keys above are those of the live year (keys.py years), which the
-- script checks is the year the caller took for it, ARGV[#ARGV - 4] (just before the trail's
-- arguments, audit.lua); the years hash is declared just before the withdrawn indexes.
local ORDER, FIRST, COURSES, EMAILS, RECORD = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local W_ORDER, W_FIRST, W_COURSES = KEYS[#KEYS - 3], KEYS[#KEYS - 2], KEYS[#KEYS - 1]
local YEARS = KEYS[#KEYS - 4]
local RECORD_TTL = ARGV[1]
local INES = KEYS[#KEYS]
local ROW_SIZE = 15
local CALLER_YEAR = ARGV[#ARGV - 4]
-- The prefix of every key ('sr:'), read from the years hash's name ('sr:years').
local PREFIX = string.sub(YEARS, 1, #YEARS - #'years')
local LIVE, BASE = nil, nil

-- Why a write must not run now: {'rolling'} while a rollover is under way, {'moved'} when the
-- live year is not the caller's (it read the years before a rollover: it reads them again and
-- sends the write with the new year's keys), {'closed'} while an earlier year is the current
-- one (its enrolments are history) unless `erasing` (a deletion may run then); nil when it
-- may. A store that has no years yet takes the caller's as its base, live and current year.
local function years_refusal(erasing)
  local years = redis.call('HMGET', YEARS, 'live', 'base', 'rolling', 'current')
  if years[3] then
    return {'rolling'}
  end
  if not years[1] then
    redis.call('HSET', YEARS, 'live', CALLER_YEAR, 'base', CALLER_YEAR, 'current', CALLER_YEAR,
      'known:' .. CALLER_YEAR, '1')
    years[1], years[2], years[4] = CALLER_YEAR, CALLER_YEAR, CALLER_YEAR
  end
  if years[1] ~= CALLER_YEAR then
    return {'moved'}
  end
  if years[4] and years[4] ~= years[1] and not erasing then
    return {'closed'}
  end
  LIVE, BASE = years[1], years[2]
  return nil
end

-- The name of a key of the base year (keys.py year_key) in another year.
local function year_key(key, year)
  if year == BASE then
    return key
  end
  return PREFIX .. 'y:' .. year .. ':' .. string.sub(key, #PREFIX + 1)
end

-- The base year's name of one of the live year's keys.
local function base_name(key)
  if LIVE == BASE then
    return key
  end
  return PREFIX .. string.sub(key, #PREFIX + #('y:' .. LIVE .. ':') + 1)
end

-- The order index, first-name index, course counts and course index prefix of a year's
-- enrolled or withdrawn students.
local function year_indexes(year, withdrawn)
  local order = base_name(withdrawn and W_ORDER or ORDER)
  local first = base_name(withdrawn and W_FIRST or FIRST)
  local counts = base_name(withdrawn and W_COURSES or COURSES)
  local courses = string.gsub(order, 'order$', 'course:')
  return year_key(order, year), year_key(first, year), year_key(counts, year),
    year_key(courses, year)
end

-- The order index, first-name index and course counts of enrolled or withdrawn students.
local function index_set(withdrawn)
  if withdrawn then
    return W_ORDER, W_FIRST, W_COURSES
  end
  return ORDER, FIRST, COURSES
end

local function is_withdrawn(row)
  return row[14] ~= ''
end

-- The UTC day of a time in microseconds, as YYYYMMDD (the civil calendar from a day count,
-- after Howard Hinnant's days_from_civil, inverted).
local function utc_day(micros)
  local z = math.floor(tonumber(micros) / 86400000000) + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp < 10 and mp + 3 or mp - 9
  local year = yoe + era * 400 + (month <= 2 and 1 or 0)
  return string.format('%04d%02d%02d', year, month, day)
end

-- A write may run twice: redis-py sends a command again when its reply did not come in time,
-- although the first may have run. So a write first looks for its operation's record, and when
-- it is there answers the outcome recorded instead of writing again; a write that changed
-- something records its outcome (a write that changed nothing can safely run again). The
-- record is a short string, kept as long as the store says a retry may still arrive.
local function recorded_outcome(decode)
  local outcome = redis.call('GET', RECORD)
  if outcome then
    return decode(outcome)
  end
  return nil
end

local function record_outcome(encoded)
  redis.call('SET', RECORD, encoded, 'PX', RECORD_TTL)
end

-- An outcome of a few words without spaces (a status, then times), as one string and back.
local function encode_words(result)
  return table.concat(result, ' ')
end

local function decode_words(encoded)
  local result = {}
  for word in string.gmatch(encoded, '%S+') do
    result[#result + 1] = word
  end
  return result
end

local function first_member(sort_key)
  local last_end = string.find(sort_key, '\0', 1, true)
  local first_end = string.find(sort_key, '\0', last_end + 1, true)
  return string.sub(sort_key, last_end + 1, first_end - 1) .. '\0' .. sort_key
end

-- The sort key of a row without its id: `fold(last)\0fold(first)\0`.
local function names_of(row)
  return string.sub(row[8], 1, #row[8] - #row[1])
end

-- What makes two rows look like the same person: their folded names and their birth date.
local function same_person(row)
  return names_of(row) .. row[4]
end

-- Adds a sort key to a set of indexes (an order index, its first-name index, a course's
-- index) and counts it in the course (`counts`: course -> number of students).
local function members_add(order, first, counts, course_key, course, sort_key)
  redis.call('ZADD', order, 0, sort_key)
  redis.call('ZADD', first, 0, first_member(sort_key))
  redis.call('ZADD', course_key, 0, sort_key)
  redis.call('HINCRBY', counts, course, 1)
end

-- Removes a sort key from a set of indexes, and the course's count with it once it is 0.
local function members_remove(order, first, counts, course_key, course, sort_key)
  redis.call('ZREM', order, sort_key)
  redis.call('ZREM', first, first_member(sort_key))
  redis.call('ZREM', course_key, sort_key)
  if redis.call('HINCRBY', counts, course, -1) <= 0 then
    redis.call('HDEL', counts, course)
  end
end

-- While an import gathers its index writes to apply them at its end, in a few calls of many
-- members each (much cheaper than five calls a student), what they will be; nil otherwise.
local pending = nil

-- Adds a row's email and INE to their indexes.
local function identity_add(row)
  if row[7] ~= '' then
    redis.call('HSET', EMAILS, row[7], row[1])
  end
  if row[10] ~= '' then
    redis.call('HSET', INES, row[10], row[1])
  end
end

-- `course_key`: the index of the row's course (row[5]), of the row's status. A withdrawn row
-- of an import is indexed at once: rare, and its hash is written already for the checks.
local function index_add(row, course_key)
  if pending and not is_withdrawn(row) then
    local n = #pending.order
    pending.order[n + 1], pending.order[n + 2] = 0, row[8]
    pending.first[n + 1], pending.first[n + 2] = 0, first_member(row[8])
    local course = pending.courses[course_key]
    if not course then
      course = {name = row[5]}
      pending.courses[course_key] = course
    end
    course[#course + 1], course[#course + 2] = 0, row[8]
    if row[7] ~= '' then
      pending.emails[#pending.emails + 1] = row[7]
      pending.emails[#pending.emails + 1] = row[1]
      pending.owners[row[7]] = row[1]
    end
    if row[10] ~= '' then
      pending.ines[#pending.ines + 1] = row[10]
      pending.ines[#pending.ines + 1] = row[1]
      pending.ine_owners[row[10]] = row[1]
    end
    local person = same_person(row)
    pending.people[person] = pending.people[person] or {}
    table.insert(pending.people[person], row[1])
    return
  end
  local order, first, counts = index_set(is_withdrawn(row))
  members_add(order, first, counts, course_key, row[5], row[8])
  identity_add(row)
end

-- `course_key`: the index of the course the student leaves (`course`), of its status.
local function index_remove(sort_key, course, course_key, email_norm, withdrawn)
  local order, first, counts = index_set(withdrawn)
  members_remove(order, first, counts, course_key, course, sort_key)
  if email_norm ~= '' then
    redis.call('HDEL', EMAILS, email_norm)
  end
end

-- The ids of the students registered under the row's folded names and birth date: those the
-- order indexes (enrolled, then withdrawn) hold under its names (a range of each index: no
-- memory of its own), whose hash
-- has its birth date, and those an import is about to index. `student_prefix` names the hashes,
-- which the caller cannot declare (keys.py).
local function duplicates(row, student_prefix)
  local names, ids = names_of(row), {}
  for _, order in ipairs({ORDER, W_ORDER}) do
    local members = redis.call('ZRANGE', order, '[' .. names, '(' .. names .. '\255', 'BYLEX')
    for _, member in ipairs(members) do
      local id = string.sub(member, #names + 1)
      local born = redis.call('HGET', student_prefix .. id, 'b')
      if id ~= row[1] and born and string.gsub(born, '%-', '') == row[4] then
        ids[#ids + 1] = id
      end
    end
  end
  for _, id in ipairs(pending and pending.people[same_person(row)] or {}) do
    ids[#ids + 1] = id
  end
  return ids
end

local function ine_owner(ine)
  if ine == '' then
    return false
  end
  if pending and pending.ine_owners[ine] then
    return pending.ine_owners[ine]
  end
  return redis.call('HGET', INES, ine)
end

-- Removes a student's INE (`old.i`, read by read_old) from the INE index.
local function ine_index_remove(old)
  if old.i then
    redis.call('HDEL', INES, old.i)
  end
end

local function email_owner(email_norm)
  if email_norm == '' then
    return false
  end
  if pending and pending.owners[email_norm] then
    return pending.owners[email_norm]
  end
  return redis.call('HGET', EMAILS, email_norm)
end

-- The time of a change: now, or one microsecond after the last write if the clock has not moved
-- past it (another writer's clock may lag). So a revision never repeats, nor goes backwards.
local function change_time(now, u, t)
  local last = tonumber(u or t)
  if tonumber(now) > last then
    return now
  end
  return string.format('%.0f', last + 1)
end

-- The row's values by hash field, times aside ('' for a field the hash leaves out): what
-- write_fields writes and holds_row compares, so a field added to the row belongs here.
-- `created_at` and `kept_entry` (the entry date stored before, nil if none, which a row without
-- one keeps) decide n. Optional fields are absent rather than empty: e (no email), k (the sort
-- key is the derived one), n (entered the day it was created, UTC), w and r (enrolled).
local function row_values(row, created_at, kept_entry)
  local entry = row[13] ~= '' and row[13] or kept_entry or ''
  return {
    'f', row[2], 'l', row[3], 'b', row[4], 'c', row[5], 'e', row[6],
    'k', row[8] ~= derived_sort_key(row[1], row[2], row[3]) and row[8] or '',
    'x', row[9], 'i', row[10], 'p', row[11], 'g', row[12],
    'n', entry ~= utc_day(created_at) and entry or '',
    'w', row[14],
    'r', row[15],
  }
end

-- u is absent while the student was never changed (updated_at is created_at). `fresh` for a
-- hash that does not exist yet.
-- `unindexed` for a student not enrolled in the live year: its hash only is written.
local function write_fields(row, student_key, course_key, now, created_at, fresh, kept_entry,
    unindexed)
  local set = {'t', created_at}
  local unset = {'v'}
  local optional = row_values(row, created_at, kept_entry)
  optional[#optional + 1], optional[#optional + 2] = 'u', now ~= created_at and now or ''
  for i = 1, #optional, 2 do
    if optional[i + 1] ~= '' then
      set[#set + 1], set[#set + 2] = optional[i], optional[i + 1]
    else
      unset[#unset + 1] = optional[i]
    end
  end
  redis.call('HSET', student_key, unpack(set))
  if not fresh and #unset > 0 then
    redis.call('HDEL', student_key, unpack(unset))
  end
  if not unindexed then
    index_add(row, course_key)
  end
end

-- Whether the student's hash holds the row's values already (times aside): writing the row would
-- change nothing. A hash still counting its revision in v is rewritten, to drop it.
local function holds_row(row, student_key)
  local kept = redis.call('HMGET', student_key, 't', 'n', 'v')
  if not kept[1] or kept[3] then
    return false
  end
  local values, names = row_values(row, kept[1], kept[2] or nil), {}
  for i = 1, #values, 2 do
    names[#names + 1] = values[i]
  end
  local stored = redis.call('HMGET', student_key, unpack(names))
  for i = 1, #names do
    if (stored[i] or '') ~= values[2 * i] then
      return false
    end
  end
  return true
end

-- Returns {status, revision, created_at}; status is created | exists | email_taken | ine_taken, or
-- {'duplicate', ids...} when `student_prefix` is given (the duplicates are refused) and
-- students with the row's names and birth date are registered.
local function create(row, student_key, course_key, now, student_prefix)
  if redis.call('EXISTS', student_key) == 1 then
    return {'exists'}
  end
  if email_owner(row[7]) then
    return {'email_taken'}
  end
  if ine_owner(row[10]) then
    return {'ine_taken'}
  end
  if student_prefix and student_prefix ~= '' then
    local ids = duplicates(row, student_prefix)
    if #ids > 0 then
      return {'duplicate', unpack(ids)}
    end
  end
  write_fields(row, student_key, course_key, now, now, true)
  return {'created', now, now}
end

-- The stored fields replace and delete read, by name (HMGET of OLD_FIELDS), with what they
-- derive from them; nil when the student does not exist.
local OLD_FIELDS = {'t', 'u', 'v', 'c', 'e', 'k', 'f', 'l', 'n', 'w', 'i', 'y', 'h', 'r'}
local function read_old(student_id, student_key)
  local values = redis.call('HMGET', student_key, unpack(OLD_FIELDS))
  if not values[1] then
    return nil
  end
  local old = {}
  for i, name in ipairs(OLD_FIELDS) do
    old[name] = values[i] or nil
  end
  -- The revision (ETag) is the time of the last write: u, else t. Hashes written before kept
  -- a counter in v, and it stays their revision until their next write.
  old.revision = old.v or old.u or old.t
  -- The sort key the student is indexed under: its k, else the one derived from its names.
  old.sort_key = old.k or derived_sort_key(student_id, old.f, old.l)
  old.email_norm = old.e and string.lower(old.e) or ''
  old.withdrawn = old.w ~= nil
  -- Whether its newest enrolment is of the live year (y names another year when not).
  old.live = old.y == nil or old.y == LIVE
  return old
end

-- A student's enrolments in other years than the live one, {year, course, withdrawn} each:
-- its newest when y names another year, and its earlier ones (h: keys.py).
local function other_years(old)
  local found = {}
  if not old.live then
    found[#found + 1] = {old.y, old.c, old.withdrawn}
  end
  for _, enrolment in ipairs(old.h and cjson.decode(old.h) or {}) do
    if enrolment[1] ~= LIVE then
      found[#found + 1] = {enrolment[1], enrolment[2], enrolment[4] ~= ''}
    end
  end
  return found
end

-- Moves a student to a new sort key in the indexes of its other years, or out of them when
-- `new_sort_key` is nil (it is deleted).
local function other_years_move(old, new_sort_key)
  for _, enrolment in ipairs(other_years(old)) do
    local year, course, withdrawn = enrolment[1], enrolment[2], enrolment[3]
    local order, first, counts, courses = year_indexes(year, withdrawn)
    members_remove(order, first, counts, courses .. course, course, old.sort_key)
    if new_sort_key then
      members_add(order, first, counts, courses .. course, course, new_sort_key)
    end
  end
end

-- Removes a student's email and INE from their indexes (a student of the live year leaves
-- its email with index_remove).
local function identity_remove(old)
  if old.email_norm ~= '' then
    redis.call('HDEL', EMAILS, old.email_norm)
  end
  ine_index_remove(old)
end

-- Whether the stored student is the one the caller read: at that revision, in that course (so
-- the course index the caller declared is the one it leaves). '' expects nothing.
local function unchanged(old, expected_rev, expected_course)
  return (expected_rev == '' or old.revision == expected_rev)
    and (expected_course == '' or old.c == expected_course)
end

-- Returns {status, revision, created_at, action}; status is updated | not_found | stale |
-- email_taken | ine_taken. The revision is the time written as updated_at; the action, the
-- trail's code for the change (keys.py): sw when it withdraws the student, sr when it
-- reinstates it, su. `old_course`: {name, key} the caller expects
-- the student to leave (in the indexes of the status it was read with: the revision says it
-- is unchanged), or a function giving the key of the course, of that status, it is found in.
local function replace(row, student_key, course_key, now, expected_rev, old_course)
  local old = read_old(row[1], student_key)
  if not old then
    return {'not_found'}
  end
  local old_course_key
  if type(old_course) == 'function' then
    old_course_key = old_course(old.c, old.withdrawn)
  elseif unchanged(old, expected_rev, old_course[1]) then
    old_course_key = old_course[2]
  else
    return {'stale'}
  end
  local owner = email_owner(row[7])
  if owner and owner ~= row[1] then
    return {'email_taken'}
  end
  local ine_holder = ine_owner(row[10])
  if ine_holder and ine_holder ~= row[1] then
    return {'ine_taken'}
  end
  local at = change_time(now, old.u, old.t)
  if old.sort_key ~= row[8] then
    other_years_move(old, row[8])
  end
  if old.live then
    index_remove(old.sort_key, old.c, old_course_key, old.email_norm, old.withdrawn)
    ine_index_remove(old)
    write_fields(row, student_key, course_key, at, old.t, false, old.n)
  elseif row[5] == old.c and row[14] == (old.w or '') and row[15] == (old.r or '') then
    -- A student of another year whose enrolment stays as it was: its hash only changes.
    identity_remove(old)
    write_fields(row, student_key, course_key, at, old.t, false, old.n, true)
    identity_add(row)
  else
    -- A student of another year enrolled again, in the live year: its newest enrolment joins
    -- its history; the new one is entered today unless the row says when.
    local history = old.h and cjson.decode(old.h) or {}
    table.insert(history, 1, {old.y, old.c, old.n or utc_day(old.t), old.w or '', old.r or ''})
    identity_remove(old)
    write_fields(row, student_key, course_key, at, old.t, false, utc_day(now))
    redis.call('HSET', student_key, 'h', cjson.encode(history))
    redis.call('HDEL', student_key, 'y')
  end
  local action = 'su'
  if old.withdrawn ~= is_withdrawn(row) then
    action = old.withdrawn and 'sr' or 'sw'
  end
  return {'updated', at, old.t, action}
end

-- Returns {status}; status is deleted | not_found | stale. The caller expects the student at
-- `expected_rev` in the course `old_course` ({name, key}).
local function delete(student_id, student_key, expected_rev, old_course)
  local old = read_old(student_id, student_key)
  if not old then
    return {'not_found'}
  end
  if not unchanged(old, expected_rev, old_course[1]) then
    return {'stale'}
  end
  if old.live then
    index_remove(old.sort_key, old.c, old_course[2], old.email_norm, old.withdrawn)
    ine_index_remove(old)
  else
    identity_remove(old)
  end
  other_years_move(old, nil)
  redis.call('DEL', student_key)
  return {'deleted'}
end

local function read_row(offset)
  local row = {}
  for i = 1, ROW_SIZE do
    row[i] = ARGV[offset + i]
  end
  return row
end

-- Gather index additions from here on (only creations may follow: replace and delete read
-- the indexes) until apply_pending_indexes.
local function defer_indexes()
  pending = {order = {}, first = {}, courses = {}, emails = {}, owners = {}, people = {}}
  pending.ines, pending.ine_owners = {}, {}
end

local function call_in_slices(command, key, values)
  -- unpack takes at most a few thousand values
  for i = 1, #values, 4000 do
    redis.call(command, key, unpack(values, i, math.min(i + 3999, #values)))
  end
end

local function apply_pending_indexes()
  local gathered = pending
  pending = nil
  call_in_slices('ZADD', ORDER, gathered.order)
  call_in_slices('ZADD', FIRST, gathered.first)
  for course_key, members in pairs(gathered.courses) do
    call_in_slices('ZADD', course_key, members)
    redis.call('HINCRBY', COURSES, members.name, #members / 2)
  end
  call_in_slices('HSET', EMAILS, gathered.emails)
  call_in_slices('HSET', INES, gathered.ines)
end
