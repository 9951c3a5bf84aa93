-- ARGV[3]: now, ARGV[4]: on conflict (fail | skip | update), ARGV[5]: '1' for all or nothing,
-- ARGV[6..]: rows of 8 values. Returns one status per row, behind 'ok' or 'aborted'.
-- Creations gather their index writes and apply them once, at the end (see lib.lua).
-- All or nothing: a first pass decides every row against the data and the rows before it,
-- without writing; any failure aborts. It is conservative (an email released earlier in the
-- same batch still counts as taken), so the writing pass cannot fail half-way.
local now, mode, atomic = ARGV[3], ARGV[4], ARGV[5] == '1'
local count = (#ARGV - 5) / 8

local function plan()
  local ids, emails, statuses, failed = {}, {}, {}, false
  for r = 1, count do
    local row = read_row(5 + (r - 1) * 8)
    local exists = ids[row[1]] or redis.call('EXISTS', STUDENT_PREFIX .. row[1]) == 1
    local owner = emails[row[7]] or email_owner(row[7])
    local status
    if exists and mode == 'skip' then
      status = 'skipped'
    elseif exists and mode ~= 'update' then
      status = 'exists'
    elseif owner and owner ~= row[1] then
      status = 'email_taken'
    else
      status = exists and 'updated' or 'created'
      ids[row[1]] = true
      if row[7] ~= '' then
        emails[row[7]] = row[1]
      end
    end
    failed = failed or status == 'exists' or status == 'email_taken'
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

local statuses = {}
if mode ~= 'update' then
  defer_indexes()
end
for r = 1, count do
  local row = read_row(5 + (r - 1) * 8)
  local result = create(row, now)
  if result[1] == 'exists' and mode == 'skip' then
    result = {'skipped'}
  elseif result[1] == 'exists' and mode == 'update' then
    result = replace(row, now, '')
  end
  statuses[r] = result[1]
end
if mode ~= 'update' then
  apply_pending_indexes()
end
return {'ok', statuses}
