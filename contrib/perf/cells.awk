# cells.awk: one line of figures per test (cell of the matrix), from the
# joined rows (rows.tsv, as join.awk writes them), in the order of the run.
#   ok            transfers the client verified (ok = yes)
#   bytes         bytes received by all clients of the test
#   longest_s     the longest client-measured transfer time
#   aggregate     bytes / longest_s / 10^6 (the clients start together)
#   min med max   client-measured MB/s over the test's connections that
#                 measured one (a connection that failed early has none)
#   spread        max / min (empty when min is 0)
#   jain          Jain's fairness index of those MB/s:
#                 (sum x)^2 / (n * sum x^2), 1 = all equal, 1/n = one took all
#   sent lost resent dup   UDP datagrams: transmissions the servers sent
#                 (repairs included), transmissions the clients counted
#                 lost, repairs sent, duplicates received
#   loss_pct resent_pct    lost and resent as % of sent
#   srv_med       median server-measured seconds
#   ratio_med     median of server seconds / client seconds
BEGIN { FS = OFS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
	t = $(c["test"])
	if (!(t in n)) {
		order[++tests] = t
		nm = split("proto mode file size clients link", m, " ")
		for (f = 1; f <= nm; f++)
			meta[t, f] = $(c[m[f]])
	}
	n[t]++
	ok[t] += $(c["ok"]) == "yes"
	bytes[t] += $(c["bytes_received"])
	s = $(c["client_seconds"]) + 0
	if (s > longest[t])
		longest[t] = s
	if ($(c["client_mb_per_s"]) != "")
		rate[t, ++nrate[t]] = $(c["client_mb_per_s"]) + 0
	if ($(c["server_seconds"]) != "")
		srv[t, ++nsrv[t]] = $(c["server_seconds"]) + 0
	if (s > 0 && $(c["server_seconds"]) != "")
		ratio[t, ++nratio[t]] = $(c["server_seconds"]) / s
	sent[t] += $(c["datagrams_sent"])
	lost[t] += $(c["datagrams_lost"])
	resent[t] += $(c["datagrams_resent"])
	dup[t] += $(c["datagrams_dup"])
}
function fmt1(v) { return v == "" ? "" : sprintf("%.1f", v) }

function median(arr, t, cnt,    i, j, x, v) {
	if (cnt == 0)
		return ""
	for (i = 1; i <= cnt; i++)
		v[i] = arr[t, i]
	for (i = 2; i <= cnt; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
		}
	lo = v[1]; hi = v[cnt]
	return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
}
END {
	print "test", "proto", "mode", "file", "size", "clients", "link", "ok",
	    "bytes", "longest_s", "aggregate", "min", "med", "max", "spread",
	    "jain", "sent", "lost", "resent", "dup", "loss_pct", "resent_pct",
	    "srv_med", "ratio_med"
	for (i = 1; i <= tests; i++) {
		t = order[i]
		med = median(rate, t, nrate[t]); mn = lo; mx = hi
		sum = sq = 0
		for (k = 1; k <= nrate[t]; k++) {
			sum += rate[t, k]; sq += rate[t, k] * rate[t, k]
		}
		jain = sq > 0 ? sprintf("%.4f", sum * sum / (nrate[t] * sq)) : ""
		agg = longest[t] > 0 ? sprintf("%.1f", bytes[t] / longest[t] / 1e6) : ""
		spread = med != "" && mn > 0 ? sprintf("%.2f", mx / mn) : ""
		if (med == "")
			mn = mx = ""
		lp = sent[t] > 0 ? sprintf("%.3f", 100 * lost[t] / sent[t]) : ""
		rp = sent[t] > 0 ? sprintf("%.3f", 100 * resent[t] / sent[t]) : ""
		sm = median(srv, t, nsrv[t])
		rm = median(ratio, t, nratio[t])
		print t, meta[t, 1], meta[t, 2], meta[t, 3], meta[t, 4], meta[t, 5],
		    meta[t, 6], ok[t], bytes[t], sprintf("%.6f", longest[t]), agg,
		    fmt1(mn), fmt1(med), fmt1(mx),
		    spread, jain, sent[t], lost[t], resent[t], dup[t], lp, rp,
		    sm == "" ? "" : sprintf("%.6f", sm),
		    rm == "" ? "" : sprintf("%.3f", rm)
	}
}
