# join.awk: one test's client and server logs (their .tsv form) joined
# into one row per connection, matched by client number. Reads the
# client .tsv then the server .tsv (either may be /dev/null when that log
# is missing); columns are found by their header names. Variables: test,
# link, proto, mode, file, size, sha256, clients (from the command, used
# when a log is missing), header=1 prints the header line only.
# A value a log did not give is left empty; a connection without a client
# row counts as failed ("no client log").
BEGIN {
	FS = OFS = "\t"
	ncols = split("test link proto mode file size sha256 clients client " \
	    "client_ip client_port server_port ok reason bytes_received " \
	    "client_seconds client_mb_per_s server_ok server_reason bytes_sent " \
	    "server_seconds server_mb_per_s server_confirm_seconds " \
	    "datagrams_received datagrams_sent datagrams_lost datagrams_resent " \
	    "datagrams_dup datagrams_bad client_wire_bytes server_wire_bytes " \
	    "client_sockbuf_got server_sockbuf_got client_test_start " \
	    "server_test_start", cols, " ")
	if (header) {
		for (i = 1; i <= ncols; i++)
			printf "%s%s", cols[i], i < ncols ? OFS : "\n"
		exit
	}
	part = 0
}
FNR == 1 {
	part = FILENAME == ARGV[1] ? 1 : 2
	for (i = 1; i <= NF; i++)
		col[part, $i] = i
	next
}
{
	k = $(col[part, "client"]) + 0
	if (k < 1)
		next
	for (name in want)
		delete want[name]
	if (part == 1) {
		c[k] = 1
		set(k, "mode", "mode"); set(k, "sha256", "sha256")
		set(k, "client_ip", "client_ip"); set(k, "client_port", "client_port")
		set(k, "server_port", "server_port"); set(k, "ok", "ok")
		set(k, "reason", "reason"); set(k, "bytes_received", "bytes")
		set(k, "client_seconds", "seconds")
		set(k, "client_mb_per_s", "mb_per_s")
		set(k, "datagrams_received", "datagrams")
		set(k, "datagrams_lost", "datagrams_lost")
		set(k, "datagrams_dup", "datagrams_dup")
		set(k, "datagrams_bad", "datagrams_bad")
		set(k, "client_wire_bytes", "wire_bytes")
		set(k, "client_sockbuf_got", "sockbuf_got")
		set(k, "client_test_start", "test_start")
	} else {
		s[k] = 1
		if (v[k, "mode"] == "") set(k, "mode", "mode")
		if (v[k, "sha256"] == "") set(k, "sha256", "sha256")
		if (v[k, "client_ip"] == "") set(k, "client_ip", "client_ip")
		if (v[k, "client_port"] == "") set(k, "client_port", "client_port")
		if (v[k, "server_port"] == "") set(k, "server_port", "server_port")
		set(k, "server_ok", "ok"); set(k, "server_reason", "reason")
		set(k, "bytes_sent", "bytes"); set(k, "server_seconds", "seconds")
		set(k, "server_mb_per_s", "mb_per_s")
		set(k, "server_confirm_seconds", "confirm_seconds")
		set(k, "datagrams_sent", "datagrams")
		set(k, "datagrams_resent", "datagrams_resent")
		set(k, "server_wire_bytes", "wire_bytes")
		set(k, "server_sockbuf_got", "sockbuf_got")
		set(k, "server_test_start", "test_start")
	}
}
function set(k, name, logcol) {
	if ((part, logcol) in col)
		v[k, name] = $(col[part, logcol])
}
END {
	if (header)
		exit
	for (k = 1; k <= clients; k++) {
		v[k, "test"] = test; v[k, "link"] = link; v[k, "proto"] = proto
		v[k, "file"] = file; v[k, "size"] = size; v[k, "clients"] = clients
		v[k, "client"] = k
		if (v[k, "mode"] == "") v[k, "mode"] = mode
		if (v[k, "sha256"] == "") v[k, "sha256"] = sha256
		if (!(k in c)) {
			v[k, "ok"] = "no"
			v[k, "reason"] = "no client log"
		}
		if (!(k in s)) {
			v[k, "server_ok"] = ""
			v[k, "server_reason"] = "no server log"
		}
		for (i = 1; i <= ncols; i++)
			printf "%s%s", v[k, cols[i]], i < ncols ? OFS : "\n"
	}
}
