-- The audit trail (keys.py: AUDIT_FIELDS), shared by every script that changes something: it
-- appends the change's entry in the same atomic step as the change. The last AUDIT_ARGS values
-- of ARGV are the trail's: the actor, the request id, the oldest time kept (ms; older entries
-- are trimmed), and the names of the fields changed (one letter each).
local AUDIT_ARGS = 4
local AUDIT_ACTOR, AUDIT_REQUEST = ARGV[#ARGV - 3], ARGV[#ARGV - 2]
local AUDIT_KEEP_FROM, AUDIT_CHANGED = ARGV[#ARGV - 1], ARGV[#ARGV]
-- A student's history keeps at most this many entries: its index stays small.
local HISTORY_MAX = 1000

-- Appends one entry to `stream` and its id to each student history in `histories` (keys).
-- `detail` replaces the field names given in ARGV (an import's counts, say) unless nil.
local function audit(stream, action, target, histories, detail)
  local id = redis.call('XADD', stream, 'MINID', '~', AUDIT_KEEP_FROM, '*',
    'a', AUDIT_ACTOR, 'o', action, 'g', target, 'f', detail or AUDIT_CHANGED, 'r', AUDIT_REQUEST)
  local ms = tonumber(string.match(id, '^%d+'))
  local lifetime = math.max(1, ms - tonumber(AUDIT_KEEP_FROM))
  for _, history in ipairs(histories or {}) do
    if redis.call('ZADD', history, ms, id) == 1 and redis.call('ZCARD', history) > 1 then
      redis.call('ZREMRANGEBYSCORE', history, '-inf', '(' .. AUDIT_KEEP_FROM)
      redis.call('ZREMRANGEBYRANK', history, 0, -HISTORY_MAX - 1)
    end
    redis.call('PEXPIRE', history, lifetime)
  end
  return id
end
