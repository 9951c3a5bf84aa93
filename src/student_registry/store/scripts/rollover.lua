-- Moves the students of one school year to the next: the rollover (keys.py years). Run as
-- 'start', then 'step' until it answers 'done'; every step is one atomic batch, and the state
-- between them is in the years hash (field rolling), so that a rollover cut short is completed
-- by running it again, and one that ended answers its counts again without changing anything.
-- KEYS[1]: the years hash, KEYS[2]: the trail, KEYS[3..8]: the `from` year's order index,
-- first-name index and course counts, of enrolled then of withdrawn students; KEYS[9..11]: the
-- `to` year's order index, first-name index and course counts. The course indexes are named
-- by the courses of the students a step moves (keys.py): ARGV gives their prefixes.
-- ARGV[1]: 'start' or 'step'.
-- start: ARGV[2]: from, ARGV[3]: to, ARGV[4]: the plan, JSON {mapping: {course: course or
-- null (leaves)}, repeat: [ids], entry: the to year's first day, exit: the from year's last
-- day (YYYYMMDD), reason}. Answers {'started'}, {'resumed'}, {'done', counts} (that rollover
-- ended before), {'not_live', live year}, or {'busy', from, to} (another one is under way).
-- step: ARGV[2]: how many students, ARGV[3]: now (microseconds), ARGV[4]: the prefix of
-- student hashes, ARGV[5..7]: course index prefixes of the from year's enrolled and withdrawn
-- students and of the to year's enrolled students. Answers {'more'} or {'done', counts}.
-- The trail's arguments end ARGV (audit.lua); the rollover's entry is written at its end.
local YEARS_HASH, TRAIL = KEYS[1], KEYS[2]
local FROM = {order = KEYS[3], first = KEYS[4], counts = KEYS[5]}
local FROM_W = {order = KEYS[6], first = KEYS[7], counts = KEYS[8]}
local TO = {order = KEYS[9], first = KEYS[10], counts = KEYS[11]}
local mode = ARGV[1]

-- An index set of the from or to year ({order, first, counts}): members_add and members_remove
-- (lib.lua) over it.
local function add(index, course_key, course, sort_key)
  members_add(index.order, index.first, index.counts, course_key, course, sort_key)
end

local function remove(index, course_key, course, sort_key)
  members_remove(index.order, index.first, index.counts, course_key, course, sort_key)
end

if mode == 'start' then
  local from, to, plan = ARGV[2], ARGV[3], ARGV[4]
  local done = redis.call('HGET', YEARS_HASH, 'rolled:' .. from .. ':' .. to)
  if done then
    return {'done', done}
  end
  local rolling = redis.call('HGET', YEARS_HASH, 'rolling')
  if rolling then
    local state = cjson.decode(rolling)
    if state.from == from and state.to == to then
      return {'resumed'}
    end
    return {'busy', state.from, state.to}
  end
  local live = redis.call('HGET', YEARS_HASH, 'live')
  if live and live ~= from then
    return {'not_live', live}
  end
  if not live then
    redis.call('HSET', YEARS_HASH, 'live', from, 'base', from, 'current', from)
  end
  local state = cjson.decode(plan)
  state.from, state.to, state.phase, state.cursor = from, to, 'enrolled', '-'
  state.promoted, state.repeating, state.left = 0, 0, 0
  redis.call('HSET', YEARS_HASH, 'rolling', cjson.encode(state), 'known:' .. from, '1')
  return {'started'}
end

-- step
local wanted, now, student_prefix = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local from_courses, from_w_courses, to_courses = ARGV[5], ARGV[6], ARGV[7]
local rolling = redis.call('HGET', YEARS_HASH, 'rolling')
if not rolling then
  return {'idle'}
end
local state = cjson.decode(rolling)
local repeating = {}
for _, id in ipairs(state['repeat']) do
  repeating[id] = true
end
local start = state.cursor == '-' and '-' or '(' .. state.cursor
local index = state.phase == 'enrolled' and FROM.order or FROM_W.order
local members = redis.call('ZRANGE', index, start, '+', 'BYLEX', 'LIMIT', 0, wanted)
for _, sort_key in ipairs(members) do
  -- The id follows the sort key's second NUL (keys.py).
  local last_end = string.find(sort_key, '\0', 1, true)
  local id = string.sub(sort_key, string.find(sort_key, '\0', last_end + 1, true) + 1)
  local key = student_prefix .. id
  local stored = redis.call('HMGET', key, 'c', 'n', 't', 'y', 'h', 'u')
  local course, entered, created, year = stored[1], stored[2], stored[3], stored[4]
  -- A student of the from year has no y, or the from year's (it was rolled into it); one this
  -- rollover moved already has the to year's.
  local unmoved = created and (not year or year == state.from)
  if unmoved and state.phase == 'enrolled' then
    local changed = change_time(now, stored[6], created)
    local target = state.mapping[course]
    if repeating[id] or target == nil then
      target = course
    end
    if target == cjson.null then
      redis.call('HSET', key, 'w', state.exit, 'r', state.reason, 'y', state.from, 'u', changed)
      remove(FROM, from_courses .. course, course, sort_key)
      add(FROM_W, from_w_courses .. course, course, sort_key)
      state.left = state.left + 1
    else
      local history = stored[5] and cjson.decode(stored[5]) or {}
      table.insert(history, 1, {state.from, course, entered or utc_day(created), '', ''})
      redis.call('HSET', key, 'c', target, 'n', state.entry, 'y', state.to,
        'h', cjson.encode(history), 'u', changed)
      add(TO, to_courses .. target, target, sort_key)
      if repeating[id] then
        state.repeating = state.repeating + 1
      else
        state.promoted = state.promoted + 1
      end
    end
  elseif created and not year then
    -- A student withdrawn during the year stays in it (one rolled into it has its y already).
    redis.call('HSET', key, 'y', state.from)
  end
  state.cursor = sort_key
end
if #members == wanted then
  redis.call('HSET', YEARS_HASH, 'rolling', cjson.encode(state))
  return {'more'}
end
if state.phase == 'enrolled' then
  state.phase, state.cursor = 'withdrawn', '-'
  redis.call('HSET', YEARS_HASH, 'rolling', cjson.encode(state))
  return {'more'}
end
local counts = cjson.encode({
  promoted = state.promoted, repeating = state.repeating, left = state.left,
})
redis.call('HSET', YEARS_HASH, 'live', state.to, 'current', state.to, 'known:' .. state.to, '1',
  'rolled:' .. state.from .. ':' .. state.to, counts)
redis.call('HDEL', YEARS_HASH, 'rolling')
audit(TRAIL, 'yr', state.from .. ':' .. state.to, nil,
  'p' .. state.promoted .. 'r' .. state.repeating .. 'l' .. state.left)
return {'done', counts}
