-- POST /api/v1/students with a new student each time, never the same id twice.
-- wrk -s register_json.lua URL -- RUN_PREFIX
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done

local run, n = "run", 0
local headers = common.headers({ ["Content-Type"] = "application/json" })

function init(args)
  run = args[1] or run
end

function request()
  n = n + 1
  local s = common.student(run, n)
  local body = string.format(
    '{"id":"%s","first_name":"%s","last_name":"%s","birth_date":"%s","course":"%s"}',
    s.id, s.first_name, s.last_name, s.birth_date, s.course)
  -- The generated students repeat a few names and dates: namesakes the check would refuse.
  return wrk.format("POST", "/api/v1/students?allow_duplicate=true", headers, body)
end
