-- The sort key the scripts derive from stored names: folding (lower case, no accents) is
-- lower-casing for ASCII names, which is all Lua can do. A student whose sort key differs keeps
-- it in its hash (field k); the others, most of them, save the bytes. Python reads it the same
-- way (redis_store.derived_sort_key).
local function derived_sort_key(student_id, first_name, last_name)
  return string.lower(last_name) .. '\0' .. string.lower(first_name) .. '\0' .. student_id
end
