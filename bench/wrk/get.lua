-- GET /api/v1/students/{id} for ids drawn from the seeded ones: ID_PREFIX0000001 .. N,
-- numbered like bench/students.py.
-- wrk -s get.lua URL -- ID_PREFIX N
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done

local id_prefix, count = "seed-", 1000

function init(args)
  id_prefix = args[1] or id_prefix
  count = tonumber(args[2]) or count
  math.randomseed(thread_number * 7919)
end

function request()
  return wrk.format("GET", string.format("/api/v1/students/%s%07d", id_prefix, math.random(count)))
end
