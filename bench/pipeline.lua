-- pipeline.lua - wrk script for bench/http: HTTP/1.1 pipelining, and
-- latency percentiles that wrk 4.1's --latency table gets wrong.
--
--	wrk -t1 -c64 -d10s --latency -s bench/pipeline.lua \
--	    http://127.0.0.1:8000/hello/world -- 16
--
-- DEPTH (the argument after --, default 16) copies of the request go out in
-- one write, and wrk waits for all DEPTH responses before the next write;
-- requests/s counts responses.  With DEPTH 1 the script leaves wrk's own
-- static request alone (no Lua per request): plain keep-alive.
--
-- done() prints "fixed_p50_us", "fixed_p99_us" and "fixed_lost_pct".  wrk
-- takes one latency sample per write (with DEPTH > 1: from the write to the
-- last of its DEPTH responses) and, before printing, runs stats_correct(), a
-- coordinated-omission correction that adds synthetic samples at n - k*I
-- below every sample n > 2*I (I: the run time over the responses per
-- connection).  Its stats_percentile() then ranks against the count of all
-- samples but sums the histogram only from the smallest REAL sample up, so
-- when synthetic samples land below it, every percentile is shifted up and
-- the high ones print 0.00us (seen here with pipelining and with 1,000 slow
-- connections).  Debian's wrk 4.1 gives Lua no access to the histogram, so
-- done() measures the share of samples the scan misses (the largest p whose
-- percentile is not 0, by bisection) and asks for p minus that share: the
-- percentiles of wrk's corrected distribution, scanned from 0.  (A
-- percentile that falls among the missed samples is reported as the
-- smallest real sample: an upper bound.)

init = function(args)
	local depth = tonumber(args[1]) or 16
	if depth <= 1 then
		request = nil		-- wrk's static request: no Lua per request
		return
	end
	local r = {}
	for i = 1, depth do
		r[i] = wrk.format()
	end
	req = table.concat(r)
end

request = function()
	return req
end

done = function(summary, latency, requests)
	if latency.max == 0 or latency:percentile(0) <= 0 then
		io.write("fixed_lost_pct 100\n")	-- not one sample
		return
	end
	local lo, hi = 0, 100
	for i = 1, 60 do
		local mid = (lo + hi) / 2
		if latency:percentile(mid) > 0 then
			lo = mid
		else
			hi = mid
		end
	end
	local lost = 100 - lo
	local function pct(p)
		if p - lost <= 0 then
			return latency.min
		end
		return latency:percentile(p - lost)
	end
	io.write(string.format("fixed_lost_pct %.4f\nfixed_p50_us %d\n" ..
	    "fixed_p99_us %d\n", lost, pct(50), pct(99)))
end
