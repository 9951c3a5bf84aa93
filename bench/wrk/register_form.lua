-- POST /handle_data, the original app's form, with a new student each time.
-- wrk -s register_form.lua URL -- RUN_PREFIX
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done

local run, n = "run", 0
local headers = common.headers({ ["Content-Type"] = "application/x-www-form-urlencoded" })
local esc = common.form_escape

function init(args)
  run = args[1] or run
end

function request()
  n = n + 1
  local s = common.student(run, n)
  local body = "Id=" .. esc(s.id) .. "&First+name=" .. esc(s.first_name)
    .. "&Last+name=" .. esc(s.last_name) .. "&Date+of+Birth=" .. esc(s.birth_date)
    .. "&Course=" .. esc(s.course) .. "&allow_duplicate=true"
  return wrk.format("POST", "/handle_data", headers, body)
end
