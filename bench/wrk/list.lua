-- GET /api/v1/students?limit=50: the first page of the alphabetical list.
-- wrk -s list.lua URL
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done

wrk.method = "GET"
wrk.path = "/api/v1/students?limit=50"
