-- post.lua - wrk script for bench/platform: POST /echo with a body of
-- BENCH_BODY bytes (environment, default 1024), keep-alive.
local n = tonumber(os.getenv("BENCH_BODY") or "1024")
wrk.method = "POST"
wrk.path = "/echo"
wrk.body = string.rep("a", n)
wrk.headers["Content-Type"] = "application/octet-stream"
