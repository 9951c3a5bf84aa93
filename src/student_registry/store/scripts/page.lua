-- One page of an index in order, with the students' hashes, in one round trip.
-- KEYS[1]: the index (order or one course). ARGV[1]: student hash prefix, ARGV[2]: lower
-- bound ('-' or '(' .. cursor), ARGV[3]: how many, ARGV[4]: folded name prefix ('' for none).
-- Returns {total, sort_key_1, hash_1, sort_key_2, hash_2, ...}. With a prefix the index is
-- walked and filtered: that costs the size of the index (a course), not of the registry.
local index, prefix, lower, wanted, q = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]

local function id_of(sort_key)
  local last_end = string.find(sort_key, '\0', 1, true)
  return string.sub(sort_key, string.find(sort_key, '\0', last_end + 1, true) + 1)
end

local function matches(sort_key)
  if q == '' then
    return true
  end
  local last_end = string.find(sort_key, '\0', 1, true)
  return string.sub(sort_key, 1, #q) == q or string.sub(sort_key, last_end + 1, last_end + #q) == q
end

local out = {0}
local function emit(sort_key)
  table.insert(out, sort_key)
  table.insert(out, redis.call('HGETALL', prefix .. id_of(sort_key)))
end

if q == '' then
  out[1] = redis.call('ZCARD', index)
  for _, sort_key in ipairs(redis.call('ZRANGE', index, lower, '+', 'BYLEX', 'LIMIT', 0, wanted)) do
    emit(sort_key)
  end
  return out
end

-- Walks the index from a lower bound, calling visit on each match until it returns false.
local function walk(from, visit)
  while true do
    local chunk = redis.call('ZRANGE', index, from, '+', 'BYLEX', 'LIMIT', 0, 500)
    for _, sort_key in ipairs(chunk) do
      if matches(sort_key) and not visit(sort_key) then
        return
      end
    end
    if #chunk < 500 then
      return
    end
    from = '(' .. chunk[#chunk]
  end
end

local taken = 0
walk(lower, function(sort_key)
  emit(sort_key)
  taken = taken + 1
  return taken < wanted
end)
walk('-', function()
  out[1] = out[1] + 1
  return true
end)
return out
