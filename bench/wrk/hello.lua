-- GET / on the bare ASGI app: the ceiling of the HTTP stack.
-- wrk -s hello.lua URL
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup
done = common.done
