-- ft.lua: a Wireshark/tshark dissector for ft's protocol (README,
-- "PROTOCOL"): the FT/1 control lines over TCP and the FTD2 datagrams
-- over UDP. The wire formats are common/ft_proto.c (lines) and
-- common/ft_dgram.h (datagrams); this file follows them, and a change
-- there must come here too (t/6c-dissector.t decodes a real capture).
--
--   tshark -X lua_script:contrib/wireshark/ft.lua -r CAPTURE.pcap
--   tshark -X lua_script:contrib/wireshark/ft.lua -o ft.tcp_port:5005 ...
--   (or copy it into the personal Lua plugins folder: README, "Wireshark")
--
-- How packets reach it:
-- - TCP: the port preference ft.tcp_port (default 5005, ftserver's), and
--   a heuristic on the first line of a connection (the server's greeting
--   "FT/1 ftserver ...", or a request or answer in ft's grammar); once
--   one line matches, the whole connection is ft's.
-- - UDP: a heuristic on the datagram magic "FTD2" (a worker k sends from
--   PORT+k, the client from any port, so no port table fits). Where
--   another dissector owns a port, `-o udp.try_heuristic_first:TRUE`
--   lets the heuristic go first.
--
-- Display-filter fields (stable names; add, never rename):
--   Control (protocol "ft"), one subtree per line:
--     ft.line        string  the line as sent, without its end
--     ft.cmd         string  FT/1 (greeting), GET, LIST, READY, DONE, QUIT,
--                            OK, ERR, DATA, BYE, FILE, END, QUEUED
--     ft.version     string  greeting: the server's version
--     ft.proto       string  greeting, GET proto=: tcp or udp
--     ft.workers     uint32  greeting workers=
--     ft.file        string  GET's name ("-": the server's choice), OK file=,
--                            FILE's name
--     ft.size        uint64  OK size=, DATA's size, FILE's size
--     ft.sha256      string  OK sha256=, DONE's hash
--     ft.group ft.client ft.member ft.test   uint32  GET/OK options
--     ft.run         string  GET run= (16 hex digits)
--     ft.udp_port    uint16  OK udp_port= (the worker's), READY udp_port=
--     ft.xfer        uint32  OK xfer= (the id every datagram carries)
--     ft.secret      uint64  OK secret=
--     ft.datagram    uint32  OK datagram= (payload bytes per datagram)
--     ft.mode        string  OK mode=: reliable or raw
--     ft.rcvbuf      uint32  READY rcvbuf=
--     ft.start       string  DATA start= (seconds.nanoseconds, UTC)
--     ft.bytes       uint64  DONE's byte count
--     ft.code        uint16  ERR's code;  ft.message  string  its text
--     ft.verdict     string  BYE's: ok or mismatch
--     ft.count       uint32  END's count
--     ft.ahead ft.need ft.free   uint32  QUEUED's
--     ft.option      string  a key=value this version does not know
--     ft.file_data   uint32  bytes of the file in this segment (TCP mode,
--                            after DATA); ft.file_offset uint64 the first's
--   Datagrams (protocol "ft.udp"), one subtree per datagram (a GSO
--   super-frame captured on loopback holds several):
--     ft.udp.magic ft.udp.type ft.udp.flags ft.udp.len ft.udp.xfer
--     ft.udp.seq ft.udp.tx           the 20-byte header
--     ft.udp.flags.resent ft.udp.flags.end   bool  the flag bits
--     ft.udp.offset  uint64  DATA: seq x datagram size, where the payload
--                            lands (when the OK line was captured)
--     ft.udp.data    bytes   DATA's payload (what was captured of it)
--     ft.udp.fin.total ft.udp.fin.tx              FIN's payload
--     ft.udp.status.secret ft.udp.status.max_tx ft.udp.status.rx_count
--     ft.udp.status.unique ft.udp.status.nranges  STATUS's fixed part
--     ft.udp.range.first ft.udp.range.count       each missing range
--     ft.udp.status.missing  uint32  the ranges' datagrams, summed
--     ft.udp.hello.secret    uint64  HELLO's
--     ft.udp.secret_ok  bool  the secret equals the OK line's
--     ft.udp.file   string  the transfer's file (from the OK line)
--     ft.udp.ok_frame  framenum  the OK line that gave the transfer id
--     ft.udp.datagrams uint32  datagrams in this frame (>1: GSO)
--   Expert infos (filterable by name): ft.malformed, ft.unknown,
--   ft.error (an ERR line), ft.truncated; ft.udp.malformed,
--   ft.udp.truncated, ft.udp.gso.

local VERSION = "1.0"
local MAGIC = 0x46544432 -- "FTD2"
local HEADER = 20
local STATUS_FIXED = 24
local MAX_RANGES = math.floor((1200 - HEADER - STATUS_FIXED) / 8)
local LINE_MAX = 1024

local ft = Proto("ft", "ft control (FT/1)")
local ftu = Proto("ft.udp", "ft datagrams (FTD2)")

-- ---------------------------------------------------------------- fields

local F = {
	line = ProtoField.string("ft.line", "Line"),
	cmd = ProtoField.string("ft.cmd", "Command"),
	version = ProtoField.string("ft.version", "Server version"),
	proto = ProtoField.string("ft.proto", "Transport"),
	workers = ProtoField.uint32("ft.workers", "Workers"),
	file = ProtoField.string("ft.file", "File"),
	size = ProtoField.uint64("ft.size", "Size"),
	sha256 = ProtoField.string("ft.sha256", "SHA-256"),
	group = ProtoField.uint32("ft.group", "Group"),
	client = ProtoField.uint32("ft.client", "Client"),
	member = ProtoField.uint32("ft.member", "Member"),
	test = ProtoField.uint32("ft.test", "Server test"),
	run = ProtoField.string("ft.run", "Run id"),
	udp_port = ProtoField.uint16("ft.udp_port", "UDP port"),
	xfer = ProtoField.uint32("ft.xfer", "Transfer id", base.HEX),
	secret = ProtoField.uint64("ft.secret", "Secret", base.HEX),
	datagram = ProtoField.uint32("ft.datagram", "Datagram payload"),
	mode = ProtoField.string("ft.mode", "UDP mode"),
	rcvbuf = ProtoField.uint32("ft.rcvbuf", "Receive buffer"),
	start = ProtoField.string("ft.start", "Start (UTC seconds)"),
	bytes = ProtoField.uint64("ft.bytes", "Bytes received"),
	code = ProtoField.uint16("ft.code", "Error code"),
	message = ProtoField.string("ft.message", "Message"),
	verdict = ProtoField.string("ft.verdict", "Verdict"),
	count = ProtoField.uint32("ft.count", "Count"),
	ahead = ProtoField.uint32("ft.ahead", "Runs ahead"),
	need = ProtoField.uint32("ft.need", "Seats needed"),
	free = ProtoField.uint32("ft.free", "Seats free"),
	option = ProtoField.string("ft.option", "Unknown option"),
	file_data = ProtoField.uint32("ft.file_data", "File bytes"),
	file_offset = ProtoField.uint64("ft.file_offset", "File offset"),
}
ft.fields = F

local TYPES = { [1] = "DATA", [2] = "FIN", [3] = "STATUS", [4] = "HELLO" }
local U = {
	magic = ProtoField.uint32("ft.udp.magic", "Magic", base.HEX),
	type = ProtoField.uint8("ft.udp.type", "Type", base.DEC, TYPES),
	flags = ProtoField.uint8("ft.udp.flags", "Flags", base.HEX),
	resent = ProtoField.bool("ft.udp.flags.resent", "Re-sent (repair)", 8, nil, 0x01),
	fin_end = ProtoField.bool("ft.udp.flags.end", "End of pass (FIN)", 8, nil, 0x02),
	len = ProtoField.uint16("ft.udp.len", "Payload length"),
	xfer = ProtoField.uint32("ft.udp.xfer", "Transfer id", base.HEX),
	seq = ProtoField.uint32("ft.udp.seq", "Sequence"),
	tx = ProtoField.uint32("ft.udp.tx", "Transmission"),
	offset = ProtoField.uint64("ft.udp.offset", "File offset"),
	data = ProtoField.bytes("ft.udp.data", "Data"),
	fin_total = ProtoField.uint32("ft.udp.fin.total", "Datagrams in the file"),
	fin_tx = ProtoField.uint32("ft.udp.fin.tx", "Next transmission"),
	st_secret = ProtoField.uint64("ft.udp.status.secret", "Secret", base.HEX),
	st_max_tx = ProtoField.uint32("ft.udp.status.max_tx", "Highest transmission seen"),
	st_rx = ProtoField.uint32("ft.udp.status.rx_count", "Transmissions received"),
	st_unique = ProtoField.uint32("ft.udp.status.unique", "Datagrams received"),
	st_n = ProtoField.uint32("ft.udp.status.nranges", "Missing ranges"),
	st_missing = ProtoField.uint32("ft.udp.status.missing", "Missing datagrams (in the ranges)"),
	r_first = ProtoField.uint32("ft.udp.range.first", "First missing"),
	r_count = ProtoField.uint32("ft.udp.range.count", "Count"),
	hello_secret = ProtoField.uint64("ft.udp.hello.secret", "Secret", base.HEX),
	secret_ok = ProtoField.bool("ft.udp.secret_ok", "Secret matches the OK line"),
	file = ProtoField.string("ft.udp.file", "File"),
	ok_frame = ProtoField.framenum("ft.udp.ok_frame", "Transfer offered in frame"),
	datagrams = ProtoField.uint32("ft.udp.datagrams", "Datagrams in this frame"),
}
ftu.fields = U

local E = {
	malformed = ProtoExpert.new("ft.malformed", "Malformed FT/1 line",
	    expert.group.MALFORMED, expert.severity.ERROR),
	unknown = ProtoExpert.new("ft.unknown", "Unknown FT/1 command",
	    expert.group.UNDECODED, expert.severity.WARN),
	error = ProtoExpert.new("ft.error", "The server refused (ERR)",
	    expert.group.RESPONSE_CODE, expert.severity.WARN),
	truncated = ProtoExpert.new("ft.truncated", "Line not captured whole",
	    expert.group.UNDECODED, expert.severity.NOTE),
}
ft.experts = E
local EU = {
	malformed = ProtoExpert.new("ft.udp.malformed", "Malformed FTD2 datagram",
	    expert.group.MALFORMED, expert.severity.ERROR),
	truncated = ProtoExpert.new("ft.udp.truncated", "Datagram not captured whole (snaplen)",
	    expert.group.UNDECODED, expert.severity.NOTE),
	gso = ProtoExpert.new("ft.udp.gso",
	    "GSO super-frame: several datagrams in one captured frame (not a wire packet)",
	    expert.group.SEQUENCE, expert.severity.NOTE),
}
ftu.experts = EU

ft.prefs.tcp_port = Pref.uint("TCP port", 5005, "ftserver's control port (-P)")

-- ---------------------------------------------------------------- state

-- Per TCP stream (tcp.stream): the server's port, the kind of transfer,
-- and where the file's bytes lie in the server's sequence space (TCP
-- mode: the <size> bytes after the DATA line are the file, not lines).
-- Per transfer id: what the OK line said, for the datagrams.
local streams, transfers = {}, {}
local f_stream = Field.new("tcp.stream")
local f_seq = Field.new("tcp.seq")
local f_tcplen = Field.new("tcp.len")

function ft.init()
	streams, transfers = {}, {}
end

local function stream_state(pinfo)
	local s = f_stream()
	local key = s and s.value or -1
	local st = streams[key]
	if not st then
		st = {}
		streams[key] = st
	end
	return st
end

-- ---------------------------------------------------------------- lines

local SERVER_VERBS = { ["FT/1"] = true, OK = true, ERR = true, DATA = true,
	BYE = true, FILE = true, END = true, QUEUED = true }
local CLIENT_VERBS = { GET = true, LIST = true, READY = true, DONE = true,
	QUIT = true }

local function is_uint(v) return v ~= nil and v:match("^%d+$") ~= nil end
local function is_hex(v, n) return v ~= nil and #v == n and v:match("^%x+$") ~= nil end

-- adds FIELD for value V of token range R, checked by CHECK; a failed
-- check flags the line.
local function add_value(t, field, r, v, kind, bad)
	if kind == "uint" then
		if not is_uint(v) or #v > 19 then
			bad[#bad + 1] = "not a number: " .. v
			return
		end
		if field == F.size or field == F.bytes then
			t:add(field, r, UInt64.fromhex(string.format("%x", tonumber(v))))
		else
			t:add(field, r, tonumber(v))
		end
	elseif kind == "hex8" then
		if not is_hex(v, 8) then
			bad[#bad + 1] = "not 8 hex digits: " .. v
			return
		end
		t:add(field, r, tonumber(v, 16))
	elseif kind == "hex16" then
		if not is_hex(v, 16) then
			bad[#bad + 1] = "not 16 hex digits: " .. v
			return
		end
		t:add(field, r, UInt64.fromhex(v))
	elseif kind == "sha" then
		if not is_hex(v, 64) or v:match("%u") then
			bad[#bad + 1] = "not 64 lowercase hex digits: " .. v
		end
		t:add(field, r, v)
	else
		t:add(field, r, v)
	end
end

-- key=value options: KEYS maps a key to {field, kind}.
local OK_KEYS = {
	member = { F.member, "uint" }, group = { F.group, "uint" },
	test = { F.test, "uint" }, file = { F.file, "str" },
	size = { F.size, "uint" }, sha256 = { F.sha256, "sha" },
	udp_port = { F.udp_port, "uint" }, xfer = { F.xfer, "hex8" },
	secret = { F.secret, "hex16" }, datagram = { F.datagram, "uint" },
	mode = { F.mode, "str" },
}
local GET_KEYS = { group = { F.group, "uint" }, client = { F.client, "uint" },
	run = { F.run, "str" }, proto = { F.proto, "str" } }
local READY_KEYS = { udp_port = { F.udp_port, "uint" }, rcvbuf = { F.rcvbuf, "uint" } }
local QUEUED_KEYS = { ahead = { F.ahead, "uint" }, need = { F.need, "uint" },
	free = { F.free, "uint" } }
local GREETING_KEYS = { workers = { F.workers, "uint" } }

-- tokens of a line with their offsets in it: { {text, from} ... }
local function tokens(line)
	local out, pos = {}, 1
	while true do
		local a, b = line:find("[^ ]+", pos)
		if not a then
			return out
		end
		out[#out + 1] = { line:sub(a, b), a - 1 }
		pos = b + 1
	end
end

local function add_options(t, lr, toks, first, keys, bad, values)
	for i = first, #toks do
		local text, at = toks[i][1], toks[i][2]
		local r = lr(at, #text)
		local k, v = text:match("^([%w_]+)=(.*)$")
		local spec = k and keys[k]
		if spec then
			add_value(t, spec[1], r, v, spec[2], bad)
			values[k] = v
		elseif k then
			t:add(F.option, r, text)
		else
			bad[#bad + 1] = "not key=value: " .. text
		end
	end
end

-- Each verb's own part; LR(offset, length) is the range inside the line.
local VERB = {}

VERB["FT/1"] = function(t, lr, toks, st, bad)
	if toks[2] then t:add(F.message, lr(toks[2][2], #toks[2][1]), toks[2][1]) end
	if toks[3] then t:add(F.version, lr(toks[3][2], #toks[3][1]), toks[3][1]) end
	if toks[4] then
		t:add(F.proto, lr(toks[4][2], #toks[4][1]), toks[4][1])
		st.udp = st.udp or toks[4][1] == "udp"
	end
	add_options(t, lr, toks, 5, GREETING_KEYS, bad, {})
	return "greeting"
end

VERB.GET = function(t, lr, toks, st, bad)
	if not toks[2] then
		bad[#bad + 1] = "GET without a file name"
		return "request"
	end
	t:add(F.file, lr(toks[2][2], #toks[2][1]), toks[2][1])
	local v = {}
	add_options(t, lr, toks, 3, GET_KEYS, bad, v)
	if v.run and not is_hex(v.run, 16) then bad[#bad + 1] = "run is not 16 hex digits" end
	st.udp = st.udp or v.proto == "udp"
	return "request " .. toks[2][1]
end

VERB.OK = function(t, lr, toks, st, bad, pinfo)
	local v = {}
	add_options(t, lr, toks, 2, OK_KEYS, bad, v)
	if not (v.member and v.group and v.file and v.sha256) then
		bad[#bad + 1] = "OK lacks member, group, file or sha256"
	end
	if v.xfer then
		st.udp = true
		local id = tonumber(v.xfer, 16)
		if id and not transfers[id] then
			transfers[id] = { file = v.file, size = tonumber(v.size or ""),
				datagram = tonumber(v.datagram or ""), secret = v.secret,
				frame = pinfo.number }
		end
	end
	st.size = tonumber(v.size or "")
	return "offer " .. (v.file or "?") .. " (" .. (v.size or "?") .. " bytes)"
end

VERB.ERR = function(t, lr, toks, st, bad, pinfo, line, lt)
	local code = toks[2] and toks[2][1]
	if not code or not code:match("^%d%d%d$") then
		bad[#bad + 1] = "ERR without a 3-digit code"
		return "error"
	end
	t:add(F.code, lr(toks[2][2], 3), tonumber(code))
	if toks[3] then
		t:add(F.message, lr(toks[3][2], #line - toks[3][2]), line:sub(toks[3][2] + 1))
	end
	lt:add_proto_expert_info(E.error, "ERR " .. line:sub(5))
	return "error " .. code
end

-- DATA <size> [start=S.N]: over TCP the next <size> bytes the server
-- sends are the file.
VERB.DATA = function(t, lr, toks, st, bad, pinfo, line, lt, seq_end)
	local size = toks[2] and toks[2][1]
	if not is_uint(size) then
		bad[#bad + 1] = "DATA without a size"
		return "data"
	end
	add_value(t, F.size, lr(toks[2][2], #size), size, "uint", bad)
	for i = 3, #toks do
		local s = toks[i][1]:match("^start=(%d+%.%d%d%d%d%d%d%d%d%d)$")
		if s then
			t:add(F.start, lr(toks[i][2], #toks[i][1]), s)
		else
			bad[#bad + 1] = "not start=S.N: " .. toks[i][1]
		end
	end
	if not st.udp and seq_end and not st.data_lo then
		st.data_lo = seq_end
		st.data_hi = seq_end + tonumber(size)
	end
	return "data " .. size .. " bytes"
end

VERB.DONE = function(t, lr, toks, st, bad)
	if #toks ~= 3 then
		bad[#bad + 1] = "DONE needs <bytes> <sha256>"
	end
	if toks[2] then add_value(t, F.bytes, lr(toks[2][2], #toks[2][1]), toks[2][1], "uint", bad) end
	if toks[3] then add_value(t, F.sha256, lr(toks[3][2], #toks[3][1]), toks[3][1], "sha", bad) end
	return "confirm " .. (toks[2] and toks[2][1] or "?") .. " bytes"
end

VERB.READY = function(t, lr, toks, st, bad)
	add_options(t, lr, toks, 2, READY_KEYS, bad, {})
	return "ready"
end

VERB.BYE = function(t, lr, toks, st, bad)
	local v = toks[2] and toks[2][1]
	if v ~= "ok" and v ~= "mismatch" then
		bad[#bad + 1] = "BYE is ok or mismatch"
	end
	if v then t:add(F.verdict, lr(toks[2][2], #v), v) end
	return "bye " .. (v or "?")
end

VERB.FILE = function(t, lr, toks, st, bad)
	if #toks ~= 3 then bad[#bad + 1] = "FILE needs <name> <size>" end
	if toks[2] then t:add(F.file, lr(toks[2][2], #toks[2][1]), toks[2][1]) end
	if toks[3] then add_value(t, F.size, lr(toks[3][2], #toks[3][1]), toks[3][1], "uint", bad) end
	return "catalogue file"
end

VERB.END = function(t, lr, toks, st, bad)
	if toks[2] then add_value(t, F.count, lr(toks[2][2], #toks[2][1]), toks[2][1], "uint", bad) end
	return "end of list"
end

VERB.QUEUED = function(t, lr, toks, st, bad)
	add_options(t, lr, toks, 2, QUEUED_KEYS, bad, {})
	return "queued"
end

VERB.LIST = function(t, lr, toks, st, bad)
	if #toks ~= 1 then bad[#bad + 1] = "LIST takes nothing" end
	return "list"
end

VERB.QUIT = function(t, lr, toks, st, bad)
	if #toks ~= 1 then bad[#bad + 1] = "QUIT takes nothing" end
	return "quit"
end

-- one line at OFF (LEN bytes, its end excluded) of TVB; PARTIAL: only
-- its start was captured (snaplen), its last token dropped
local function dissect_line(tvb, pinfo, tree, st, off, len, seq_end, partial)
	local line = tvb:raw(off, len):gsub("\r$", "")
	local lr = function(at, n) return tvb(off + at, n) end
	local lt = tree:add(ft, tvb(off, math.max(len, 1)), "FT/1: " .. line)
	lt:add(F.line, tvb(off, math.max(len, 1)), line)
	local toks = tokens(line)
	local verb = toks[1] and toks[1][1] or ""
	lt:add(F.cmd, lr(0, math.max(#verb, 1)), verb)
	if SERVER_VERBS[verb] and not st.server_port then
		st.server_port = pinfo.src_port
	elseif CLIENT_VERBS[verb] and not st.server_port then
		st.server_port = pinfo.dst_port
	end
	local fn = VERB[verb]
	if not fn then
		lt:add_proto_expert_info(E.unknown, "Unknown command: " .. verb)
		return line:sub(1, 80)
	end
	local bad = {}
	local what = fn(lt, lr, toks, st, bad, pinfo, line, lt, seq_end)
	lt:append_text(" (" .. what .. ")")
	if len > LINE_MAX then bad[#bad + 1] = "longer than 1024 bytes" end
	if partial then
		lt:add_proto_expert_info(E.truncated)
		return line .. " [cut by the snaplen]"
	end
	for _, why in ipairs(bad) do
		lt:add_proto_expert_info(E.malformed, why)
	end
	return #line > 80 and line:sub(1, 77) .. "..." or line
end

-- ---------------------------------------------------------------- TCP

-- The sequence number of the tvb's first byte, when known: reassembled
-- lines end where the current segment ends.
local function first_seq(tvb)
	local s, l = f_seq(), f_tcplen()
	if not s or not l then
		return nil
	end
	return s.value + l.value - tvb:reported_len()
end

-- The file's bytes at OFF (TCP mode, after DATA, from the server): an
-- item; returns how many bytes of the segment they take.
local function file_data(tvb, tree, st, seq, off, captured, reported)
	local n = math.min(st.data_hi - (seq + off), reported - off)
	local r = tvb(off, math.max(math.min(n, captured - off), 1))
	local t = tree:add(ft, r, "FT/1: file data")
	t:add(F.file_data, r, n)
	t:add(F.file_offset, r, UInt64.fromhex(string.format("%x", seq + off - st.data_lo)))
	return n
end

-- Bytes from OFF without a line end: a line cut by the snaplen (decoded
-- up to its last whole token), one TCP will complete (true: ask for more),
-- or too long a line.
local function unended(tvb, pinfo, tree, st, off, captured, reported, verbs)
	if captured < reported then
		local keep = tvb:raw(off, captured - off):match("^(.* )[^ ]*$")
		if keep and not keep:find("[^\32-\126]") then
			verbs[#verbs + 1] = dissect_line(tvb, pinfo, tree, st, off, #keep - 1, nil, true)
		else
			tree:add(ft, tvb(off, captured - off), "FT/1: line not captured whole")
			    :add_proto_expert_info(E.truncated)
		end
		return false
	end
	if reported - off <= LINE_MAX + 1 then
		pinfo.desegment_offset = off
		pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
		return true
	end
	tree:add(ft, tvb(off, captured - off), "FT/1: no line end in 1024 bytes")
	    :add_proto_expert_info(E.malformed, "no line end within 1024 bytes")
	return false
end

-- Each segment: lines, and in TCP mode the file's bytes after DATA.
function ft.dissector(tvb, pinfo, tree)
	local st = stream_state(pinfo)
	local captured, reported = tvb:len(), tvb:reported_len()
	local seq = first_seq(tvb)
	local off, verbs, data = 0, {}, 0
	pinfo.cols.protocol = "FT/1"
	while off < captured do
		local from_server = st.server_port and pinfo.src_port == st.server_port
		if from_server and seq and st.data_lo and seq + off >= st.data_lo
		    and seq + off < st.data_hi then
			local n = file_data(tvb, tree, st, seq, off, captured, reported)
			data, off = data + n, off + n
		else
			local nl = tvb:raw(off, captured - off):find("\n", 1, true)
			if not nl then
				if unended(tvb, pinfo, tree, st, off, captured, reported, verbs) then
					return
				end
				break
			end
			if tvb:raw(off, nl - 1):gsub("\r$", ""):find("[^\32-\126]") then
				-- Not a line: the file's bytes after a DATA line the
				-- capture missed, or another protocol.
				tree:add(ft, tvb(off, captured - off), "FT/1: bytes that are not lines "
				    .. "(file data whose DATA line was not captured?)")
				break
			end
			verbs[#verbs + 1] = dissect_line(tvb, pinfo, tree, st, off, nl - 1,
			    seq and seq + off + nl)
			off = off + nl
		end
	end
	if data > 0 then
		verbs[#verbs + 1] = "file data " .. data .. " bytes"
	end
	pinfo.cols.info = table.concat(verbs, ", ")
	return captured
end

-- A connection is ft's when a line in ft's grammar starts it.
local HEUR_PATTERNS = {
	"^FT/1 ftserver ", "^GET %S+ group=%d", "^GET %S+ [%w_]+=%S*[^\n]*proto=",
	"^OK member=%d+ group=%d+ file=", "^DATA %d+ start=%d+%.%d+\r?\n",
	"^READY udp_port=%d+", "^DONE %d+ %x+\r?\n", "^QUEUED ahead=%d",
	"^ERR %d%d%d [^\n]*\n$",
}

local function heur_tcp(tvb, pinfo, tree)
	if tvb:len() < 5 then
		return false
	end
	local head = tvb:raw(0, math.min(tvb:len(), 200))
	if head:find(" HTTP/", 1, true) then
		return false
	end
	for _, p in ipairs(HEUR_PATTERNS) do
		if head:match(p) then
			pinfo.conversation = ft
			ft.dissector(tvb, pinfo, tree)
			return true
		end
	end
	return false
end

-- ---------------------------------------------------------------- UDP

local function u64hex(r)
	return string.format("%08x%08x", r(0, 4):uint(), r(4, 4):uint())
end

local function secret_check(t, r, xf)
	if xf and xf.secret then
		t:add(U.secret_ok, r, u64hex(r) == xf.secret):set_generated()
	end
end

-- The payload of one datagram (its header already read).
local function dissect_payload(tvb, t, off, typ, len, seq, xf, reported, captured)
	local body = off + HEADER
	local bad = nil
	local function have(n) return body + n <= captured end
	if typ == 1 then
		if xf and xf.datagram then
			local fo = seq * xf.datagram
			t:add(U.offset, tvb(off + 12, 4), UInt64.fromhex(string.format("%x", fo))):set_generated()
			if xf.size and (fo + len > xf.size or (fo + len < xf.size and len ~= xf.datagram)) then
				bad = string.format("DATA seq %d: %d bytes at offset %d do not fit the file's %d "
				    .. "in datagrams of %d", seq, len, fo, xf.size, xf.datagram)
			end
		end
		if len > 0 and captured > body then
			t:add(U.data, tvb(body, math.min(len, captured - body)))
		end
	elseif typ == 2 then
		if len ~= 8 then
			bad = "FIN payload is " .. len .. " bytes, not 8"
		elseif have(8) then
			t:add(U.fin_total, tvb(body, 4))
			t:add(U.fin_tx, tvb(body + 4, 4))
		end
	elseif typ == 3 then
		if len < STATUS_FIXED then
			return "STATUS payload is " .. len .. " bytes, less than 24"
		end
		if not have(STATUS_FIXED) then
			return nil
		end
		t:add(U.st_secret, tvb(body, 8))
		secret_check(t, tvb(body, 8), xf)
		t:add(U.st_max_tx, tvb(body + 8, 4))
		t:add(U.st_rx, tvb(body + 12, 4))
		t:add(U.st_unique, tvb(body + 16, 4))
		t:add(U.st_n, tvb(body + 20, 4))
		local n = tvb(body + 20, 4):uint()
		if n > MAX_RANGES or len ~= STATUS_FIXED + 8 * n then
			return string.format("STATUS: %d ranges in a payload of %d bytes (at most %d ranges)",
			    n, len, MAX_RANGES)
		end
		local missing, p = 0, body + STATUS_FIXED
		for i = 0, n - 1 do
			if p + 8 > captured then break end
			local rt = t:add(ftu, tvb(p, 8), string.format("Missing: %d datagrams from %d",
			    tvb(p + 4, 4):uint(), tvb(p, 4):uint()))
			rt:add(U.r_first, tvb(p, 4))
			rt:add(U.r_count, tvb(p + 4, 4))
			missing = missing + tvb(p + 4, 4):uint()
			p = p + 8
		end
		t:add(U.st_missing, tvb(body + 20, 4), missing):set_generated()
	elseif typ == 4 then
		if len ~= 8 then
			bad = "HELLO payload is " .. len .. " bytes, not 8"
		elseif have(8) then
			t:add(U.hello_secret, tvb(body, 8))
			secret_check(t, tvb(body, 8), xf)
		end
	end
	return bad
end

-- One datagram at OFF; returns its end (or nil when it cannot be told)
-- and a summary for the Info column.
local function dissect_datagram(tvb, pinfo, tree, off, reported, captured)
	local t = tree:add(ftu, tvb(off, math.min(captured - off, math.max(reported - off, 1))))
	if reported - off < HEADER then
		t:add(U.magic, tvb(off, 4))
		t:add_proto_expert_info(EU.malformed, string.format(
		    "%d bytes: shorter than the 20-byte header", reported - off))
		return nil, "malformed (short)"
	end
	if captured - off < HEADER then
		t:add_proto_expert_info(EU.truncated)
		return nil, "header not captured"
	end
	local typ = tvb(off + 4, 1):uint()
	local len = tvb(off + 6, 2):uint()
	local xid = tvb(off + 8, 4):uint()
	local seq = tvb(off + 12, 4):uint()
	local xf = transfers[xid]
	t:add(U.magic, tvb(off, 4))
	t:add(U.type, tvb(off + 4, 1))
	local ft_ = t:add(U.flags, tvb(off + 5, 1))
	ft_:add(U.resent, tvb(off + 5, 1))
	ft_:add(U.fin_end, tvb(off + 5, 1))
	t:add(U.len, tvb(off + 6, 2))
	t:add(U.xfer, tvb(off + 8, 4))
	t:add(U.seq, tvb(off + 12, 4))
	t:add(U.tx, tvb(off + 16, 4))
	if xf then
		t:add(U.file, tvb(off + 8, 4), xf.file or "?"):set_generated()
		t:add(U.ok_frame, tvb(off + 8, 4), xf.frame):set_generated()
	end
	local name = TYPES[typ]
	local summary = string.format("%s xfer=%08x seq=%d tx=%d len=%d", name or ("type " .. typ),
	    xid, seq, tvb(off + 16, 4):uint(), len)
	if tvb(off + 5, 1):uint() % 2 == 1 and typ == 1 then summary = summary .. " (re-sent)" end
	t:append_text(": " .. summary)
	if not name then
		t:add_proto_expert_info(EU.malformed, "unknown datagram type " .. typ)
		return nil, summary .. " [malformed]"
	end
	local stop = off + HEADER + len
	if stop > reported then
		t:add_proto_expert_info(EU.malformed, string.format(
		    "the header says %d payload bytes; the datagram has %d", len, reported - off - HEADER))
		return nil, summary .. " [malformed]"
	end
	local bad = dissect_payload(tvb, t, off, typ, len, seq, xf, reported, captured)
	if bad then
		t:add_proto_expert_info(EU.malformed, bad)
		summary = summary .. " [malformed]"
	end
	if stop > captured then
		t:add_proto_expert_info(EU.truncated)
	end
	return stop, summary
end

local function magic_at(tvb, off)
	return off + 4 <= tvb:len() and tvb(off, 4):uint() == MAGIC
end

function ftu.dissector(tvb, pinfo, tree)
	local captured, reported = tvb:len(), tvb:reported_len()
	pinfo.cols.protocol = "FTD2"
	local root = tree:add(ftu, tvb(), "ft datagrams (FTD2)")
	local off, n, infos, stop, info = 0, 0, {}
	while true do
		stop, info = dissect_datagram(tvb, pinfo, root, off, reported, captured)
		n = n + 1
		if #infos < 3 then infos[#infos + 1] = info end
		if not stop or stop >= reported then
			break
		end
		-- More bytes than this datagram: a GSO super-frame (loopback
		-- captures see the send before it is cut), or trailing junk.
		if stop >= captured then
			root:add_proto_expert_info(EU.truncated, string.format(
			    "%d more bytes not captured (a GSO super-frame?)", reported - stop))
			break
		end
		if not magic_at(tvb, stop) then
			root:add_proto_expert_info(EU.malformed, string.format(
			    "%d bytes after the datagram's payload", reported - stop))
			break
		end
		off = stop
	end
	root:add(U.datagrams, tvb(0, 0), n):set_generated()
	if n > 1 then
		root:add_proto_expert_info(EU.gso, string.format(
		    "%d datagrams in one frame: a GSO super-frame (the wire carries them apart)", n))
	end
	pinfo.cols.info = table.concat(infos, "; ") .. (n > 3 and string.format(" ... (%d datagrams)", n) or "")
	return captured
end

local function heur_udp(tvb, pinfo, tree)
	if not magic_at(tvb, 0) then
		return false
	end
	ftu.dissector(tvb, pinfo, tree)
	return true
end

-- ---------------------------------------------------------------- registration

local registered_port = nil

local function register_port()
	local tcp = DissectorTable.get("tcp.port")
	if registered_port then
		tcp:remove(registered_port, ft)
	end
	registered_port = ft.prefs.tcp_port
	if registered_port ~= 0 then
		tcp:add(registered_port, ft)
	end
end

function ft.prefs_changed()
	if registered_port ~= ft.prefs.tcp_port then
		register_port()
	end
end

register_port()
ft:register_heuristic("tcp", heur_tcp)
ftu:register_heuristic("udp", heur_udp)
