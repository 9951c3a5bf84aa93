-- GET /api/v1/students?limit=50&q=PREFIX, the prefix drawn from a comma-separated list.
-- wrk -s search.lua URL -- ma,le,du
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done

local paths = {}

function init(args)
  for prefix in string.gmatch(args[1] or "ma,le,du", "[^,]+") do
    table.insert(paths, "/api/v1/students?limit=50&q=" .. common.form_escape(prefix))
  end
  math.randomseed(thread_number * 104729)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
