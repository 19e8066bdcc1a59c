-- wrk script for bench/deploy.sh: counts responses per status code, across all threads, and prints
-- one machine-readable line after the run:
--   RESULT requests=N non2xx=N connect=N read=N write=N timeout=N statuses=200:N,502:N
-- wrk keeps one Lua state per thread; done() reads each thread's counts through thread:get.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local keys = {}
  for status in pairs(total) do table.insert(keys, status) end
  table.sort(keys)
  local parts = {}
  for _, status in ipairs(keys) do table.insert(parts, status .. ":" .. total[status]) end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d statuses=%s\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
