-- wrk script: replays prepared requests (one per line: METHOD \t PATH \t COOKIE \t BODY;
-- a COOKIE field starting with "Bearer " is sent as the Authorization header: the API),
-- each thread from its own offset, and prints the figures as one JSON line.
local requests = {}
local counter = 0
local thread_offset = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BENCH_REQUESTS")
  for line in io.lines(path) do
    local method, url, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = { ["Accept-Encoding"] = "gzip" }
    if cookie:sub(1, 7) == "Bearer " then
      headers["Authorization"] = cookie
    else
      headers["Cookie"] = cookie
    end
    if method == "POST" and headers["Cookie"] then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      local token = cookie:match("csrftoken=([^;]+)")
      headers["X-CSRFToken"] = token
      headers["Referer"] = "http://127.0.0.1/"
    end
    table.insert(requests, wrk.format(method, url, headers, body ~= "" and body or nil))
  end
  -- Each thread starts its own share of the file: two threads never replay the
  -- same post (a second notice for the same half-day is refused).
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  counter = (id or 0) * math.floor(#requests / nthreads)
end

redirects = 0
busy = 0
function response(status, headers, body)
  -- A post that succeeded answers with a redirect; a refused one re-shows its form (200).
  if status >= 300 and status < 400 then redirects = redirects + 1 end
  -- The admission gate's "busy, try again in a minute" (ent/admission.py): an
  -- answer that costs nothing, so a connection that meets it sends the next
  -- request at once; counted apart so that req/s can say what was served.
  if status == 503 then busy = busy + 1 end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  local redirected, refused = 0, 0
  for _, t in ipairs(threads) do
    redirected = redirected + (t:get("redirects") or 0)
    refused = refused + (t:get("busy") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "bytes": %d, "redirects": %d, "busy": %d}\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, summary.bytes,
    redirected, refused))
end
