# report.awk: the tests and the global analysis of report.md, in
# Markdown. Reads, in this order: cells.tsv (cells.awk), rows.tsv
# (join.awk), tests.tsv (one line per test, written by perf-matrix).
# Every sentence it prints states figures taken from those files.
# Variables: capture=1 when the run captured packets, link=PROFILE or "".
BEGIN { FS = "\t" }
FNR == 1 {
	part++
	for (i = 1; i <= NF; i++) {
		col[part, $i] = i
		names[part, i] = $i
	}
	next
}
part == 1 {
	t = f(1, "test")
	order[++ntests] = t
	for (i = 1; i <= NF; i++)
		cell[t, hdr(1, i)] = $i
	next
}
part == 2 {
	t = f(2, "test")
	k = ++nrows[t]
	for (i = 1; i <= NF; i++)
		row[t, k, hdr(2, i)] = $i
	next
}
part == 3 {
	t = f(3, "test")
	for (i = 1; i <= NF; i++)
		info[t, hdr(3, i)] = $i
}

function f(p, name) { return $(col[p, name]) }

function hdr(p, i) { return names[p, i] }

function dash(v) { return v == "" ? "–" : v }
function num(v, fmt) { return v == "" ? "–" : sprintf(fmt, v) }
function plural(n, word) { return n " " word (n == 1 ? "" : "s") }
function label(t) {
	return cell[t, "proto"] " " cell[t, "file"] " ×" cell[t, "clients"]
}
function pct(a, b) { return b > 0 ? sprintf("%.3f", 100 * a / b) : "" }
function mb(b) { return sprintf("%.1f", b / 1e6) }

function test_table(t, n,    k, udp, line, okcol) {
	udp = cell[t, "proto"] == "udp"
	printf "| client | ok | bytes received | client s | client MB/s | client port |"
	printf " bytes sent (server) | server s | server port |"
	print udp ? " lost | re-sent |" : ""
	printf "| ---: | :-- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	print udp ? " ---: | ---: |" : ""
	for (k = 1; k <= n; k++) {
		okcol = row[t, k, "ok"]
		if (okcol != "yes")
			okcol = okcol " (" row[t, k, "reason"] ")"
		line = sprintf("| %d | %s | %s | %s | %s | %s | %s | %s | %s |",
		    row[t, k, "client"], okcol, dash(row[t, k, "bytes_received"]),
		    num(row[t, k, "client_seconds"], "%.4f"),
		    num(row[t, k, "client_mb_per_s"], "%.1f"),
		    dash(row[t, k, "client_port"]), dash(row[t, k, "bytes_sent"]),
		    num(row[t, k, "server_seconds"], "%.4f"),
		    dash(row[t, k, "server_port"]))
		if (udp)
			line = line sprintf(" %s | %s |", dash(row[t, k, "datagrams_lost"]),
			    dash(row[t, k, "datagrams_resent"]))
		print line
	}
	print ""
}

function test_summary(t,    s) {
	s = cell[t, "ok"] " of " cell[t, "clients"] " transfers verified"
	if (cell[t, "aggregate"] != "")
		s = s "; aggregate " cell[t, "aggregate"] " MB/s (" cell[t, "bytes"] \
		    " bytes in " sprintf("%.4f", cell[t, "longest_s"]) \
		    " s, the longest client time)"
	if (cell[t, "med"] != "")
		s = s "; per-client MB/s min " cell[t, "min"] ", median " cell[t, "med"] \
		    ", max " cell[t, "max"]
	if (cell[t, "clients"] > 1 && cell[t, "jain"] != "")
		s = s "; Jain's index " cell[t, "jain"]
	s = s "."
	if (info[t, "client_summary"] != "")
		s = s " ftclient's own summary: " info[t, "client_summary"] "."
	if (info[t, "client_rc"] + 0 != 0)
		s = s " ftclient exited with status " info[t, "client_rc"] "."
	print s
	if (cell[t, "proto"] == "udp")
		print "UDP (" cell[t, "mode"] "): the server sent " cell[t, "sent"] \
		    " datagrams, the clients counted " cell[t, "lost"] " lost (" \
		    num(cell[t, "loss_pct"], "%s") " %), the server re-sent " \
		    cell[t, "resent"] " (" num(cell[t, "resent_pct"], "%s") " %)."
	if (link != "" && info[t, "drop_to_client"] != "")
		print "Link: nftables dropped " info[t, "drop_to_client"] \
		    " packets server → client and " info[t, "drop_to_server"] \
		    " client → server; tbf dropped " dash(info[t, "tbf_drop_server"]) \
		    " on the server side and " dash(info[t, "tbf_drop_client"]) \
		    " on the client side."
	else if (link != "")
		print "Link: tbf dropped " dash(info[t, "tbf_drop_server"]) \
		    " on the server side and " dash(info[t, "tbf_drop_client"]) \
		    " on the client side."
	print ""
}

function capture_summary(t,    file, line, n) {
	if (!capture)
		return
	if (info[t, "packets"] == "") {
		print "Capture: none for this test."
		print ""
		return
	}
	print "Capture `" info[t, "pcap"] "`: " info[t, "packets"] " packets, " \
	    info[t, "wire_bytes"] " bytes on the wire, " info[t, "tcp_data"] \
	    " TCP segments with data, " info[t, "tcp_retrans"] \
	    " TCP retransmissions (" info[t, "tcp_retrans_bytes"] " bytes), " \
	    info[t, "udp_packets"] " UDP datagrams, " info[t, "ip_fragments"] \
	    " further IP fragments; " dash(info[t, "kernel_drops"]) \
	    " packets dropped by the kernel before tcpdump saw them. First packets:"
	print ""
	print "```"
	file = info[t, "listing"]
	n = 0
	while (file != "" && (getline line < file) > 0 && n < 10) {
		print line
		n++
	}
	if (file != "")
		close(file)
	print "```"
	print ""
}

function tests_section(    i, t) {
	print "## Tests"
	print ""
	print "One table per test, one row per connection. client s and client MB/s:"
	print "first byte received → confirmation of the last byte (TCP) or first →"
	print "last datagram received (UDP); server s: first byte sent → the client's"
	print "confirmation (TCP) or first → last datagram sent (UDP); MB = 10^6 bytes."
	print "Ports: over TCP, the connection's; over UDP, the datagrams' (the"
	print "client's UDP port and the worker's, PORT+k). lost:"
	print "transmissions the client never received; re-sent: repairs the server sent."
	print ""
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		printf "### %d. %s · %s (%s bytes) · %s\n\n", i,
		    cell[t, "proto"] (cell[t, "proto"] == "udp" ? " (" cell[t, "mode"] ")" : ""),
		    cell[t, "file"], cell[t, "size"], plural(cell[t, "clients"], "client")
		test_table(t, nrows[t])
		test_summary(t)
		capture_summary(t)
	}
}

function per_test_table(    i, t) {
	print "### Throughput and fairness per test"
	print ""
	print "Aggregate: bytes received by all clients / the longest client time."
	print "Jain's index: (Σx)² / (n·Σx²) over the client MB/s (1: equal shares)."
	print ""
	print "| # | protocol | file | clients | verified | aggregate MB/s | min MB/s | median MB/s | max MB/s | max/min | Jain's index |"
	print "| ---: | :-- | :-- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i,
		    cell[t, "proto"], cell[t, "file"], cell[t, "clients"], cell[t, "ok"],
		    dash(cell[t, "aggregate"]), dash(cell[t, "min"]), dash(cell[t, "med"]),
		    dash(cell[t, "max"]), dash(cell[t, "spread"]), dash(cell[t, "jain"])
	}
	print ""
}

# Pairs the tcp and udp tests of the same file and client count.
function pair_tests(    i, t, key) {
	npairs = 0
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		key = cell[t, "file"] SUBSEP cell[t, "clients"]
		if (cell[t, "proto"] == "tcp")
			tcp_of[key] = t
		else
			udp_of[key] = t
	}
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		key = cell[t, "file"] SUBSEP cell[t, "clients"]
		if (cell[t, "proto"] == "tcp" && (key in udp_of))
			pair[++npairs] = key
	}
}

function versus_table(    i, a, b, key) {
	if (npairs == 0)
		return
	print "### TCP versus UDP"
	print ""
	print "| file | clients | TCP aggregate MB/s | UDP aggregate MB/s | UDP / TCP | TCP median MB/s | UDP median MB/s | TCP Jain | UDP Jain | UDP loss % |"
	print "| :-- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= npairs; i++) {
		key = pair[i]
		a = tcp_of[key]; b = udp_of[key]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		    cell[a, "file"], cell[a, "clients"], dash(cell[a, "aggregate"]),
		    dash(cell[b, "aggregate"]),
		    (cell[a, "aggregate"] > 0 ? sprintf("%.2f", cell[b, "aggregate"] / cell[a, "aggregate"]) : "–"),
		    dash(cell[a, "med"]), dash(cell[b, "med"]), dash(cell[a, "jain"]),
		    dash(cell[b, "jain"]), dash(cell[b, "loss_pct"])
	}
	print ""
}

function loss_table(    i, t, any) {
	for (i = 1; i <= ntests; i++)
		if (cell[order[i], "proto"] == "udp")
			any = 1
	if (!any)
		return
	print "### UDP loss"
	print ""
	print "| # | mode | file | clients | datagrams sent | lost | loss % | re-sent | re-sent % | duplicates |"
	print "| ---: | :-- | :-- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		if (cell[t, "proto"] != "udp")
			continue
		printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i,
		    cell[t, "mode"], cell[t, "file"], cell[t, "clients"],
		    cell[t, "sent"], cell[t, "lost"], dash(cell[t, "loss_pct"]),
		    cell[t, "resent"], dash(cell[t, "resent_pct"]), cell[t, "dup"]
	}
	print ""
}

function capture_table(    i, t) {
	if (!capture)
		return
	print "### Captures"
	print ""
	print "| # | test | pcap | packets | bytes on the wire | TCP data segments | TCP retransmissions | UDP datagrams | IP fragments | kernel drops |"
	print "| ---: | :-- | :-- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i,
		    label(t), dash(info[t, "pcap"]), dash(info[t, "packets"]),
		    dash(info[t, "wire_bytes"]), dash(info[t, "tcp_data"]),
		    dash(info[t, "tcp_retrans"]), dash(info[t, "udp_packets"]),
		    dash(info[t, "ip_fragments"]), dash(info[t, "kernel_drops"])
	}
	print ""
}

function findings(    i, t, k, total, okn, failed, hi, lo, s, key, a, b, r,
    rmin, rmax, tmin, tmax, faster, np, jmin, jmax, nj, sent, lost, resent,
    worst, proto, file, seen, pk, wire, rt, rtmax, rtt, kd, ratio, rn, ts, tc,
    seen2, np2) {
	print "### Findings"
	print ""
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		total += cell[t, "clients"]
		okn += cell[t, "ok"]
		for (k = 1; k <= nrows[t]; k++)
			if (row[t, k, "ok"] != "yes" && failed < 10)
				s = s (failed++ ? "; " : "") "test " i " (" label(t) ") client " k \
				    ": " row[t, k, "reason"]
	}
	printf "- %d of %d transfers in %s were verified by SHA-256", okn, total,
	    plural(ntests, "test")
	print okn < total ? "; failed: " s "." : "."

	for (i = 1; i <= ntests; i++) {
		t = order[i]
		if (cell[t, "aggregate"] == "")
			continue
		if (hi == "" || cell[t, "aggregate"] + 0 > cell[hi, "aggregate"] + 0) hi = t
		if (lo == "" || cell[t, "aggregate"] + 0 < cell[lo, "aggregate"] + 0) lo = t
	}
	if (hi != "")
		print "- Highest aggregate throughput: " cell[hi, "aggregate"] " MB/s (" \
		    label(hi) "); lowest: " cell[lo, "aggregate"] " MB/s (" label(lo) ")."

	# How the aggregate and the per-client median move with the clients.
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		key = cell[t, "proto"] SUBSEP cell[t, "file"]
		if (key in seen)
			continue
		seen[key] = 1
		s = ""; r = ""; np = 0
		for (k = i; k <= ntests; k++) {
			a = order[k]
			if (cell[a, "proto"] != cell[t, "proto"] || cell[a, "file"] != cell[t, "file"])
				continue
			np++
			s = s (s == "" ? "" : ", ") dash(cell[a, "aggregate"]) " MB/s with " cell[a, "clients"]
			r = r (r == "" ? "" : ", ") dash(cell[a, "med"]) " (" cell[a, "clients"] ")"
		}
		if (np > 1)
			print "- " cell[t, "proto"] ", " cell[t, "file"] ": aggregate " s \
			    " clients; per-client median MB/s " r "."
	}

	nj = 0
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		if (cell[t, "clients"] < 2 || cell[t, "jain"] == "")
			continue
		nj++
		if (jmin == "" || cell[t, "jain"] + 0 < cell[jmin, "jain"] + 0) jmin = t
		if (jmax == "" || cell[t, "jain"] + 0 > cell[jmax, "jain"] + 0) jmax = t
		if (cell[t, "spread"] != "" && (worst == "" || cell[t, "spread"] + 0 > cell[worst, "spread"] + 0))
			worst = t
	}
	if (nj > 0)
		print "- Jain's index over the " plural(nj, "test") " with 2 or more clients: from " \
		    cell[jmin, "jain"] " (" label(jmin) ") to " cell[jmax, "jain"] " (" \
		    label(jmax) ")."
	if (worst != "")
		print "- Widest per-client spread: max/min " cell[worst, "spread"] " (" \
		    label(worst) ": " cell[worst, "min"] " to " cell[worst, "max"] " MB/s)."

	worst = ""
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		if (cell[t, "proto"] != "udp")
			continue
		sent += cell[t, "sent"]; lost += cell[t, "lost"]; resent += cell[t, "resent"]
		if (worst == "" || cell[t, "loss_pct"] + 0 > cell[worst, "loss_pct"] + 0)
			worst = t
	}
	if (worst != "")
		print "- UDP: the servers sent " sent " datagrams, the clients counted " lost \
		    " lost (" dash(pct(lost, sent)) " %) and the servers re-sent " resent \
		    " (" dash(pct(resent, sent)) " %)" (lost > 0 ? "; the highest loss was " \
		    dash(cell[worst, "loss_pct"]) " % (" label(worst) ")." : ".")

	faster = 0
	for (i = 1; i <= npairs; i++) {
		a = tcp_of[pair[i]]; b = udp_of[pair[i]]
		if (!(cell[a, "aggregate"] > 0) || cell[b, "aggregate"] == "")
			continue
		r = cell[b, "aggregate"] / cell[a, "aggregate"]
		if (rmin == "" || r < rmin) { rmin = r; tmin = a }
		if (rmax == "" || r > rmax) { rmax = r; tmax = a }
		faster += r > 1
		np2++
	}
	if (np2 > 0)
		printf "- UDP aggregate / TCP aggregate: from %.2f (%s ×%s) to %.2f (%s ×%s); UDP was faster in %d of %d cells.\n",
		    rmin, cell[tmin, "file"], cell[tmin, "clients"], rmax,
		    cell[tmax, "file"], cell[tmax, "clients"], faster, np2

	for (proto = 0; proto < 2; proto++) {
		rn = 0
		for (i = 1; i <= ntests; i++) {
			t = order[i]
			if (cell[t, "proto"] != (proto ? "udp" : "tcp") || cell[t, "ratio_med"] == "")
				continue
			ratio[++rn] = cell[t, "ratio_med"]
		}
		if (rn == 0)
			continue
		rmin = rmax = ratio[1]
		for (k = 2; k <= rn; k++) {
			if (ratio[k] < rmin) rmin = ratio[k]
			if (ratio[k] > rmax) rmax = ratio[k]
		}
		print "- " (proto ? "UDP" : "TCP") ": server time / client time, median per test, from " \
		    rmin " to " rmax " over " plural(rn, "test") "."
	}

	if (capture) {
		rtmax = ""
		for (i = 1; i <= ntests; i++) {
			t = order[i]
			pk += info[t, "packets"]; wire += info[t, "wire_bytes"]
			rt += info[t, "tcp_retrans"]; kd += info[t, "kernel_drops"]
			if (rtmax == "" || info[t, "tcp_retrans"] + 0 > info[rtmax, "tcp_retrans"] + 0)
				rtmax = t
		}
		printf "- The captures hold %d packets and %.0f bytes on the wire; TCP retransmissions counted from them: %d", pk, wire, rt
		if (rt > 0)
			printf ", most in test %s (%s)", label(rtmax), info[rtmax, "tcp_retrans"]
		printf "; the kernel dropped %d packets before tcpdump read them.\n", kd
	}
	if (link != "") {
		for (proto = 0; proto < 2; proto++) {
			pk = wire = ts = tc = 0
			for (i = 1; i <= ntests; i++) {
				t = order[i]
				if (cell[t, "proto"] != (proto ? "udp" : "tcp"))
					continue
				pk += info[t, "drop_to_client"]; wire += info[t, "drop_to_server"]
				ts += info[t, "tbf_drop_server"]; tc += info[t, "tbf_drop_client"]
				seen2[proto] = 1
			}
			if (!(proto in seen2))
				continue
			s = "- Link " link ", " (proto ? "UDP" : "TCP") " tests: "
			if (info[order[1], "drop_to_client"] != "")
				s = s "nftables dropped " pk " packets server → client and " wire \
				    " client → server; "
			print s "the tbf rate limiter dropped " ts " packets on the server side and " \
			    tc " on the client side."
		}
	}
	print ""
}

END {
	tests_section()
	print "## Global analysis"
	print ""
	pair_tests()
	per_test_table()
	versus_table()
	loss_table()
	capture_table()
	findings()
}
