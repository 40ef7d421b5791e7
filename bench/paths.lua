-- wrk script for bench/directory.py: cycle through a list of paths, count
-- non-2xx responses, and print one machine-readable summary line.
--
--   wrk -t2 -c16 -d10s --latency -s bench/paths.lua http://127.0.0.1:8000 -- paths.txt
--
-- paths.txt holds one path a line (e.g. /providers?state=CA&payment=aetna).
-- Each thread starts at a different place in the list, so the connections
-- don't all ask for the same page at the same moment.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
  if #paths == 0 then error("no paths in " .. tostring(args[1])) end
  -- Spread the threads' starting points over the list.
  index = ((thread_number - 1) * math.floor(#paths / 2)) % #paths
  non2xx = 0
  statuses = {}
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total, seen = 0, {}
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    for status, count in pairs(thread:get("statuses")) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local codes = {}
  for status, count in pairs(seen) do
    table.insert(codes, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "non2xx": %d, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, non2xx_total, table.concat(codes, ", "),
    e.connect, e.read, e.write, e.status, e.timeout))
  if non2xx_total > 0 then
    io.write(string.format("WARNING: %d non-2xx responses\n", non2xx_total))
  end
end
