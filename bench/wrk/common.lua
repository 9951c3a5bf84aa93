-- Shared by every scenario: thread numbers, unique ids, student names, and a done() that
-- prints the run's figures as one JSON line. A scenario loads it with
--   local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local common = {}

common.first_names = {
  "Adam", "Alice", "Amélie", "Anna", "Arthur", "Baptiste", "Camille", "Chloé", "Clara",
  "Éloïse", "Emma", "Ethan", "Gabriel", "Hugo", "Inès", "Jade", "Jules", "Léa", "Léo", "Lina",
  "Louis", "Lucas", "Manon", "Maël", "Mathis", "Nathan", "Noah", "Rose", "Sarah", "Zoé",
}
common.last_names = {
  "Bernard", "Bonnet", "Dubois", "Durand", "Fontaine", "François", "Garnier", "Girard",
  "Lambert", "Laurent", "Lefèvre", "Leroy", "Martin", "Mercier", "Moreau", "Morel", "Müller",
  "Petit", "Richard", "Robert", "Roux", "Simon", "Thomas", "Vincent", "O'Brien", "Nguyen",
}
common.courses = { "3eA", "3eB", "2nde-1", "2nde-2", "1re-S1", "1re-S2", "Term-S1", "Term-S2" }

local threads = 0

-- The service's credentials, from bench/run.py: an API token and a signed-in session cookie.
-- Every request carries them (the original app ignores them).
local token, cookie = os.getenv("BENCH_TOKEN") or "", os.getenv("BENCH_COOKIE") or ""
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
if cookie ~= "" then wrk.headers["Cookie"] = cookie end

-- These headers and the credentials, for a request that gives headers of its own.
function common.headers(extra)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  for name, value in pairs(extra) do headers[name] = value end
  return headers
end

-- Runs once per thread in the main state: numbers the threads 1, 2, ... (`thread_number`).
function common.setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

-- The n-th student of this thread: an id no other thread or run uses, and a name.
-- `run` is the run prefix given after `--` on wrk's command line.
function common.student(run, n)
  return {
    id = string.format("%s-%d-%d", run, thread_number, n),
    first_name = common.first_names[n % #common.first_names + 1],
    last_name = common.last_names[(n * 7 + thread_number) % #common.last_names + 1],
    birth_date = string.format("20%02d-%02d-%02d", n % 12 + 2, n % 12 + 1, n % 28 + 1),
    course = common.courses[n % #common.courses + 1],
  }
end

-- Percent-encodes a form value (application/x-www-form-urlencoded).
function common.form_escape(text)
  return (text:gsub("[^%w%-_.~]", function(c)
    return c == " " and "+" or string.format("%%%02X", c:byte())
  end))
end

-- Prints `WRK_JSON {...}`: counts, error counts and latencies in microseconds.
function common.done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end

return common
