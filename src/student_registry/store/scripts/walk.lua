-- One stretch of a walk through the students in order, with their hashes, in one round trip:
-- the alphabetical list, one course, or a name search (over everyone, or within one course).
--
-- KEYS[1]: order index, KEYS[2]: first-name index, then the course's index when the walk is
-- within a course; for a walk of both statuses, the same two or three of the other status
-- (enrolled and withdrawn students have twin indexes: keys.py); then the hash of the student
-- the walk starts from when it starts from one.
-- ARGV[1]: student hash prefix, ARGV[2]: how many matches to collect, ARGV[3]: how many index
-- members to read at most (the budget), ARGV[4]: the plan (below; -1 to choose one),
-- ARGV[5]: 'f' forward or 'b' backward, ARGV[6]: '1' if the starting position itself may be
-- collected, ARGV[7]: where the walk starts: '' at the beginning, 'at' at the position ARGV[8],
-- 'id' at the student ARGV[8] (at its first name when ARGV[9] is 'f', else its last name),
-- ARGV[10]: '1' within a course, ARGV[11]: '1' to walk both statuses' indexes, merged,
-- ARGV[12..]: the words searched for, folded. A student is in one status's indexes only.
--
-- Returns {'gone'} when the starting student no longer exists, else {'ok', its sort key ('' if
-- none), plan, total, where the walk stopped on its budget ('' if it did not), 1 if no member
-- is left to read else 0, then position and hash of each student collected}.
--
-- Plan 0 reads one index in order: the order index, or the course's. Positions are sort keys.
-- A name search (plan i > 0) reads a virtual index of `name\0sort key` entries, each student
-- in it twice: under its last name (an order index member, with its last name put in front:
-- the order is the same) and under its first name (a first-name index member as it is). The
-- entries whose name starts with a prefix are then two BYLEX ranges, merged: O(log N) to find,
-- then one step an entry, whatever the data. A student met under both names is collected at
-- the smaller entry only; results come by that name, then by sort key.
-- Every word must start the first or last name, or continue the word before it within one name
-- ("da silva"). Plan i walks the names that word i can be part of: those starting with "word
-- j ... word i" for some j <= i; it filters them against all the words with the sort key alone.
-- The first page picks the plan with the fewest entries (ZLEXCOUNT is O(log N)); its cursors
-- keep it, so the order stays the same from page to page.
--
-- The budget: Redis runs one script at a time, and data can be made so that most members read
-- do not match (a million Annes and a search for "anne zz"). So a call reads about `budget`
-- members at most, answers where it stopped, and the caller goes on from there in another call,
-- letting other clients in between. A student's hash is read only for those collected.

local hash_prefix, wanted, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local plan, backward, inclusive = tonumber(ARGV[4]), ARGV[5] == 'b', ARGV[6] == '1'
local start, start_value, at_first = ARGV[7], ARGV[8], ARGV[9] == 'f'
local in_course = ARGV[10] == '1'
-- The sets of indexes walked: {order, first, course (nil when the walk is not in one)}.
local SETS, width = {}, in_course and 3 or 2
for s = 1, ARGV[11] == '1' and 2 or 1 do
  local at = (s - 1) * width
  SETS[s] = {order = KEYS[at + 1], first = KEYS[at + 2], course = in_course and KEYS[at + 3] or nil}
end
local COURSE = in_course
local ANCHOR = start == 'id' and KEYS[#KEYS] or nil
local words = {}
for i = 12, #ARGV do
  words[#words + 1] = ARGV[i]
end
-- No UTF-8 text holds this byte: a prefix followed by it ends the range of the prefix.
local HIGH = '\255'
-- A stream reads what a page needs at first, then more each time, when filtering leaves little.
local FIRST_CHUNK, LAST_CHUNK = math.min(wanted + 1, 100), 256

-- Redis orders members byte by byte; Lua's < follows the locale Redis runs in (strcoll).
local function less(a, b)
  if a == b then
    return false
  end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

local function split(sort_key)
  local last_end = string.find(sort_key, '\0', 1, true)
  local first_end = string.find(sort_key, '\0', last_end + 1, true)
  return string.sub(sort_key, 1, last_end - 1), string.sub(sort_key, last_end + 1, first_end - 1),
    first_end
end

local function after_name(entry)
  return string.sub(entry, string.find(entry, '\0', 1, true) + 1)
end

-- Whether the text has the prefix at this index (a name in a member ends at a NUL, which no
-- prefix holds: a prefix longer than the name does not match).
local function starts(text, at, prefix)
  return string.sub(text, at, at + #prefix - 1) == prefix
end

-- PHRASES[j][i]: words j to i joined by spaces.
local PHRASES = {}
for j = 1, #words do
  PHRASES[j] = {[j] = words[j]}
  for i = j + 1, #words do
    PHRASES[j][i] = PHRASES[j][i - 1] .. ' ' .. words[i]
  end
end

-- Whether the words cut into runs that each start the last or the first name, found in the
-- text at these indexes.
local reached = {}
local function matches(text, last_at, first_at)
  if #words == 1 then
    return starts(text, last_at, words[1]) or starts(text, first_at, words[1])
  end
  reached[0] = true
  for i = 1, #words do
    reached[i] = false
  end
  for j = 1, #words do
    if reached[j - 1] then
      for i = j, #words do
        local phrase = PHRASES[j][i]
        if not (starts(text, last_at, phrase) or starts(text, first_at, phrase)) then
          break -- a longer run starts with this one: it cannot start a name either
        end
        reached[i] = true
      end
    end
  end
  return reached[#words]
end

-- The prefixes plan i walks: "word j ... word i" for j <= i, leaving out any that extends
-- another (its range is inside the other's).
local function plan_prefixes(i)
  local prefixes = {}
  for j = 1, i do
    local phrase, covered = PHRASES[j][i], false
    for k = j + 1, i do
      covered = covered or starts(phrase, 1, PHRASES[k][i])
    end
    if not covered then
      prefixes[#prefixes + 1] = phrase
    end
  end
  return prefixes
end

local function entries(prefixes)
  local n = 0
  for _, prefix in ipairs(prefixes) do
    local low, high = '[' .. prefix, '[' .. prefix .. HIGH
    for _, set in ipairs(SETS) do
      n = n + redis.call('ZLEXCOUNT', set.order, low, high)
        + redis.call('ZLEXCOUNT', set.first, low, high)
    end
  end
  return n
end

-- The members of the list walked: its course, or everyone, in each set.
local function listed()
  local n = 0
  for _, set in ipairs(SETS) do
    n = n + redis.call('ZCARD', set.course or set.order)
  end
  return n
end

-- The total: exact for a list, else at most the entries of the cheapest plan (and the course).
local total
if #words == 0 then
  total = listed()
  plan = 0
else
  local cheapest, cheapest_plan = nil, nil
  for i = 1, #words do
    local n = entries(plan_prefixes(i))
    if not cheapest or n < cheapest then
      cheapest, cheapest_plan = n, i
    end
  end
  total = cheapest
  if COURSE then
    total = math.min(total, listed())
    plan = 0
  elseif plan < 0 then
    plan = cheapest_plan
  end
end

-- Where the walk starts, as a position in the order it walks.
local anchor_sort_key, position = '', nil
if ANCHOR then
  local found = redis.call('HMGET', ANCHOR, 'f', 'l', 'k')
  if not found[1] then
    return {'gone'}
  end
  anchor_sort_key = found[3] or derived_sort_key(start_value, found[1], found[2])
  position = anchor_sort_key
  if plan > 0 then
    local last, first = split(anchor_sort_key)
    position = (at_first and first or last) .. '\0' .. anchor_sort_key
  end
elseif start == 'at' then
  position = start_value
end

-- The streams merged: each reads one index between two BYLEX bounds, in walk order.
local streams = {}
local function bound(value, closed)
  return (closed and '[' or '(') .. value
end

local function add_stream(key, kind, from, to)
  streams[#streams + 1] = {key = key, kind = kind, from = from, to = to, chunk = FIRST_CHUNK}
end

-- The bounds of the members of `prefix` in an index whose members are entries (FIRST) or sort
-- keys (ORDER, read as entries with the last name in front), from the position on.
local function add_prefix_streams(prefix)
  local low, high = prefix, prefix .. HIGH
  local entry_from, key_from = nil, nil
  if position then
    -- In ORDER, the entries after `name\0x` are the members after `x` if x has that last
    -- name, else after all members with last names up to `name` (before, walking back).
    local name, x = string.sub(position, 1, string.find(position, '\0', 1, true) - 1),
      after_name(position)
    local key, closed = x, inclusive
    if less(x, name .. '\0') then
      key, closed = name, false
    elseif less(name .. '\0' .. HIGH, x) then
      key, closed = name .. '\0' .. HIGH, false
    end
    entry_from, key_from = {position, inclusive}, {key, closed}
  end
  for _, set in ipairs(SETS) do
    for _, index in ipairs({{set.first, 'entry', entry_from}, {set.order, 'order', key_from}}) do
      local from = index[3]
      if backward then
        local start_at = (from and not less(high, from[1])) and bound(from[1], from[2])
        add_stream(index[1], index[2], start_at or '[' .. high, '[' .. low)
      else
        local start_at = (from and not less(from[1], low)) and bound(from[1], from[2])
        add_stream(index[1], index[2], start_at or '[' .. low, '[' .. high)
      end
    end
  end
end

local prefixes = {}
if plan == 0 then
  local from = position and bound(position, inclusive) or (backward and '+' or '-')
  for _, set in ipairs(SETS) do
    add_stream(set.course or set.order, 'sort_key', from, backward and '-' or '+')
  end
else
  prefixes = plan_prefixes(plan)
  for _, prefix in ipairs(prefixes) do
    add_prefix_streams(prefix)
  end
end

-- A stream's next member, and its position in the walk (stream.head; nil when it has none).
local function advance(stream)
  local member = stream.members[stream.next]
  stream.member, stream.head = member, member
  if member and stream.kind == 'order' then
    stream.head = string.sub(member, 1, string.find(member, '\0', 1, true) - 1) .. '\0' .. member
  end
end

local read = 0
local function refill(stream)
  local members, chunk = nil, stream.chunk
  if backward then
    members = redis.call('ZRANGE', stream.key, stream.from, stream.to, 'BYLEX', 'REV', 'LIMIT', 0,
      chunk)
  else
    members = redis.call('ZRANGE', stream.key, stream.from, stream.to, 'BYLEX', 'LIMIT', 0, chunk)
  end
  read = read + #members
  stream.members, stream.next = members, 1
  stream.done = #members < chunk
  stream.chunk = math.min(chunk * 2, LAST_CHUNK)
  if not stream.done then
    stream.from = '(' .. members[#members]
  end
  advance(stream)
end

-- Whether the plan walks the name found in the text at this index.
local function in_plan(text, at)
  for _, prefix in ipairs(prefixes) do
    if starts(text, at, prefix) then
      return true
    end
  end
  return false
end

-- Whether to collect the student a stream is at: it matches, and this is its smaller entry.
-- Read in the member itself, without cutting it: most members a filtered walk reads go.
local function wanted_here(stream)
  local member = stream.member
  local last_at = stream.kind == 'entry' and string.find(member, '\0', 1, true) + 1 or 1
  local first_at = string.find(member, '\0', last_at, true) + 1
  if #words > 0 and not matches(member, last_at, first_at) then
    return false
  end
  if plan > 0 then
    local name_at, other_at = last_at, first_at
    if stream.kind == 'entry' then
      name_at, other_at = first_at, last_at
    end
    if in_plan(member, other_at) then
      local first_end = string.find(member, '\0', first_at, true)
      local last = string.sub(member, last_at, first_at - 2)
      local first = string.sub(member, first_at, first_end - 1)
      local name, other = last, first
      if name_at == first_at then
        name, other = first, last
      end
      return not less(other, name)
    end
  end
  return true
end

local collected, last_read, stopped, exhausted = {}, nil, false, false
while #collected < wanted do
  local best = nil
  for _, stream in ipairs(streams) do
    if not stream.members then
      refill(stream)
    elseif not stream.head and not stream.done then
      if read >= budget then
        stopped = true
        break
      end
      refill(stream)
    end
    local here = stream.head
    if here and (not best or (backward and less(best.head, here))
        or (not backward and less(here, best.head))) then
      best = stream
    end
  end
  if stopped then
    break
  end
  if not best then
    exhausted = true
    break
  end
  local position = best.head
  -- A student whose two names are the same is met twice at the same position, once in each.
  if position ~= last_read and wanted_here(best) then
    collected[#collected + 1] = position
  end
  last_read = position
  best.next = best.next + 1
  advance(best)
end

local out = {'ok', anchor_sort_key, plan, total, stopped and last_read or '', exhausted and 1 or 0}
for _, position in ipairs(collected) do
  local sort_key = plan > 0 and after_name(position) or position
  local _, _, first_end = split(sort_key)
  out[#out + 1] = position
  -- The hash of a student found in an index: its key is known only once the walk has met it.
  out[#out + 1] = redis.call('HGETALL', hash_prefix .. string.sub(sort_key, first_end + 1))
end
return out
