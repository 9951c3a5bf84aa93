-- Candidates for one page of a name-prefix search over the whole registry.
-- KEYS[1]: order index, KEYS[2]: first-name index. ARGV[1]: folded prefix q, ARGV[2]: lower
-- bound in the order index (the later of '(' .. cursor and '[' .. q), ARGV[3]: the cursor
-- ('' on the first page), ARGV[4]: how many.
-- Last-name matches are one range of the order index. First-name matches are one range per
-- distinct first name starting with q (a group), each already in order; members whose last
-- name also matches are skipped, being in the first range. Returns {total, sort keys...}, at
-- most `wanted` from each range: the caller merges them, which costs O(groups * log N + page).
local ORDER, FIRST = KEYS[1], KEYS[2]
local q, lower, cursor, wanted = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local q_end = '[' .. q .. '\255'

local out = {redis.call('ZLEXCOUNT', ORDER, '[' .. q, q_end)}
for _, sort_key in ipairs(redis.call('ZRANGE', ORDER, lower, q_end, 'BYLEX', 'LIMIT', 0, wanted)) do
  table.insert(out, sort_key)
end

local function collect_group(first)
  local head = first .. '\0'
  local from = cursor ~= '' and ('(' .. head .. cursor) or ('[' .. head)
  local to = '(' .. first .. '\1'
  out[1] = out[1] + redis.call('ZLEXCOUNT', FIRST, '[' .. head, to)
    - redis.call('ZLEXCOUNT', FIRST, '[' .. head .. q, '[' .. head .. q .. '\255')
  local taken = 0
  while taken < wanted do
    local chunk = redis.call('ZRANGE', FIRST, from, to, 'BYLEX', 'LIMIT', 0, wanted - taken)
    if #chunk == 0 then
      return
    end
    for _, member in ipairs(chunk) do
      local sort_key = string.sub(member, #head + 1)
      if string.sub(sort_key, 1, #q) == q then
        -- jump past the run whose last name matches too
        from = '(' .. head .. q .. '\255'
        break
      end
      table.insert(out, sort_key)
      taken = taken + 1
      from = '(' .. member
    end
  end
end

local group_from = '[' .. q
while true do
  local next_member = redis.call('ZRANGE', FIRST, group_from, q_end, 'BYLEX', 'LIMIT', 0, 1)[1]
  if not next_member then
    break
  end
  local first = string.sub(next_member, 1, string.find(next_member, '\0', 1, true) - 1)
  collect_group(first)
  group_from = '[' .. first .. '\1'
end
return out
