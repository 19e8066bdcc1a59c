-- wrk script: after the run, prints one machine-readable line (latencies in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p999_us=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(99.9)))
end
