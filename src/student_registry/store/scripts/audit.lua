-- The audit trail (keys.py: AUDIT_FIELDS), shared by every script that changes something: it
-- appends the change's entry in the same atomic step as the change. The last AUDIT_ARGS values
-- of ARGV are the trail's: the actor, the request id, the oldest time kept (ms; older entries
-- are trimmed), and the names of the fields changed (one letter each).
local AUDIT_ARGS = 4
local AUDIT_ACTOR, AUDIT_REQUEST = ARGV[#ARGV - 3], ARGV[#ARGV - 2]
local AUDIT_KEEP_FROM, AUDIT_CHANGED = ARGV[#ARGV - 1], ARGV[#ARGV]
local KEEP_FROM_MS = tonumber(AUDIT_KEEP_FROM)
-- A student's own history index keeps at most this many entries: it stays small.
local HISTORY_MAX = 1000
-- A packed history (keys.py: student_histories) grows to this many bytes at most: Redis keeps
-- a hash compact while each value is within hash-max-listpack-value (64 by default). Past it,
-- the student's ids move to an index of their own (keys.py: student_history).
local PACKED_MAX = 64
-- Each bucket of packed histories is swept of the ids past the retention once a day at most;
-- its field '' (no student id is empty) holds the time of its last sweep (or creation). A sweep
-- also sets the bucket to expire a day after its newest entry would be trimmed: a write until
-- the next sweep has a newer entry, so none needs to set it again.
local SWEEP_EVERY_MS = 86400000
local SWEPT = ''
local DIGITS36 = '0123456789abcdefghijklmnopqrstuvwxyz'

local function base36(n)
  local text = ''
  repeat
    local digit = n % 36
    text = string.sub(DIGITS36, digit + 1, digit + 1) .. text
    n = (n - digit) / 36
  until n == 0
  return text
end

-- An entry id as a packed history holds it: its time (ms) in base 36, then '-' and its
-- sequence number unless that is 0. Ids are separated by spaces, oldest first.
local function pack_id(ms, seq)
  if seq == '0' then
    return base36(ms)
  end
  return base36(ms) .. '-' .. seq
end

-- A packed history without the ids that are past the retention.
local function unexpired(packed)
  local kept = {}
  for word in string.gmatch(packed, '%S+') do
    if tonumber(string.match(word, '^[^-]+'), 36) >= KEEP_FROM_MS then
      kept[#kept + 1] = word
    end
  end
  return table.concat(kept, ' ')
end

-- Removes from a bucket the ids past the retention, and the histories left empty.
local function sweep(bucket, now, lifetime)
  local stored = redis.call('HGETALL', bucket)
  for i = 1, #stored, 2 do
    local student, packed = stored[i], stored[i + 1]
    if student ~= SWEPT then
      local kept = unexpired(packed)
      if kept == '' then
        redis.call('HDEL', bucket, student)
      elseif kept ~= packed then
        redis.call('HSET', bucket, student, kept)
      end
    end
  end
  redis.call('HSET', bucket, SWEPT, base36(now))
  redis.call('PEXPIRE', bucket, lifetime + SWEEP_EVERY_MS)
end

-- Adds an entry to a student's own history index, trimmed to the retention and HISTORY_MAX.
local function index_entry(index, id, ms, lifetime)
  if redis.call('ZADD', index, ms, id) == 1 and redis.call('ZCARD', index) > 1 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. AUDIT_KEEP_FROM)
    redis.call('ZREMRANGEBYRANK', index, 0, -HISTORY_MAX - 1)
  end
  redis.call('PEXPIRE', index, lifetime)
end

-- Adds entry `id` to a student's history: `about` is {bucket key, index key, student id}.
-- A student's ids are packed in a field of a bucket shared by many (no key of their own) until
-- they outgrow PACKED_MAX; a student with an index (grown, or written before buckets) keeps it.
local function remember(about, id, ms, seq, lifetime)
  local bucket, index, student = about[1], about[2], about[3]
  local found = redis.call('HMGET', bucket, student, SWEPT)
  local packed, swept = found[1], found[2]
  if not packed and redis.call('EXISTS', index) == 1 then
    index_entry(index, id, ms, lifetime)
    return
  end
  local value = pack_id(ms, seq)
  if packed then
    packed = unexpired(packed)
    if packed ~= '' then
      value = packed .. ' ' .. value
    end
  end
  if #value <= PACKED_MAX then
    redis.call('HSET', bucket, student, value)
  else
    redis.call('HDEL', bucket, student)
    for word in string.gmatch(value, '%S+') do
      local ms36, word_seq = string.match(word, '^([^-]+)-?(%d*)$')
      local word_ms = tonumber(ms36, 36)
      index_entry(index, string.format('%.0f-%s', word_ms, word_seq ~= '' and word_seq or '0'),
        word_ms, lifetime)
    end
  end
  if not swept then
    -- A new bucket: nothing in it to sweep yet.
    redis.call('HSET', bucket, SWEPT, base36(ms))
    redis.call('PEXPIRE', bucket, lifetime + SWEEP_EVERY_MS)
  elseif ms - tonumber(swept, 36) >= SWEEP_EVERY_MS then
    sweep(bucket, ms, lifetime)
  end
end

-- What the history arguments of `audit` take: the student whose keys are KEYS[first] (the
-- bucket of packed histories) and KEYS[first + 1] (their own index).
local function about(first, student)
  return {KEYS[first], KEYS[first + 1], student}
end

-- Appends one entry to `stream` and its id to the history of each student of `students`
-- (`about` values). `detail` replaces the field names given in ARGV (an import's counts, say)
-- unless nil.
local function audit(stream, action, target, students, detail)
  local id = redis.call('XADD', stream, 'MINID', '~', AUDIT_KEEP_FROM, '*',
    'a', AUDIT_ACTOR, 'o', action, 'g', target, 'f', detail or AUDIT_CHANGED, 'r', AUDIT_REQUEST)
  local ms_text, seq = string.match(id, '^(%d+)-(%d+)$')
  local ms = tonumber(ms_text)
  local lifetime = math.max(1, ms - KEEP_FROM_MS)
  for _, student in ipairs(students or {}) do
    remember(student, id, ms, seq, lifetime)
  end
  return id
end
