/* unit-proto.c: the protocol parsers of common/ft_proto.c. Every case is
 * a row in a table: the line as it arrives, whether it is accepted, and
 * what it must parse to (or a word the refusal reason must contain). */
#include "ft_proto.h"
#include "tap.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define HEX64_UPPER \
    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define RUN "0123456789abcdef"

struct req_case {
	const char *line;
	int rc;			/* 0 accepted, -1 refused */
	enum ft_verb verb;
	const char *file;	/* GET: "" for "-" */
	unsigned group, client;
	uint64_t run;
	enum ft_proto_kind proto;
	uint64_t bytes;		/* DONE */
	const char *sha256;	/* DONE */
	const char *why;	/* refused: a word the reason contains */
};

static const struct req_case requests[] = {
	/* Accepted. */
	{ "GET a.bin", 0, FT_GET, "a.bin", 0, 0, 0, FT_TCP, 0, NULL, NULL },
	{ "GET -", 0, FT_GET, "", 0, 0, 0, FT_TCP, 0, NULL, NULL },
	{ "GET a.bin group=5 client=2 run=" RUN " proto=tcp", 0, FT_GET,
	    "a.bin", 5, 2, 0x0123456789abcdefULL, FT_TCP, 0, NULL, NULL },
	{ "GET - proto=udp group=1", 0, FT_GET, "", 1, 0, 0, FT_UDP, 0, NULL,
	    NULL },
	{ "GET x group=1024 client=1024 run=ffffffffffffffff", 0, FT_GET, "x",
	    1024, 1024, UINT64_MAX, FT_TCP, 0, NULL, NULL },
	{ "GET x run=0000000000000001", 0, FT_GET, "x", 0, 0, 1, FT_TCP, 0,
	    NULL, NULL },
	{ "LIST", 0, FT_LIST, "", 0, 0, 0, FT_TCP, 0, NULL, NULL },
	{ "READY", 0, FT_READY, "", 0, 0, 0, FT_TCP, 0, NULL, NULL },
	{ "QUIT", 0, FT_QUIT, "", 0, 0, 0, FT_TCP, 0, NULL, NULL },
	{ "DONE 0 " HEX64, 0, FT_DONE, "", 0, 0, 0, FT_TCP, 0, HEX64, NULL },
	{ "DONE 1000003 " HEX64, 0, FT_DONE, "", 0, 0, 0, FT_TCP, 1000003,
	    HEX64, NULL },
	{ "DONE 18446744073709551615 " HEX64, 0, FT_DONE, "", 0, 0, 0, FT_TCP,
	    UINT64_MAX, HEX64, NULL },

	/* Verbs: exact, upper case, nothing around them. */
	{ "", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "get a.bin", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "GET", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "LIST all", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ " READY", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "QUIT now", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "DONE", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },
	{ "HELLO", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "unknown command" },

	/* GET: the name. */
	{ "GET ", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "file name" },
	{ "GET ../etc/passwd", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET a/b", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET /etc/passwd", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET ..", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET .hidden", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET -rf", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET a\tb", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET a\x01" "b", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },
	{ "GET / HTTP/1.1", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "name" },

	/* GET: every option, out of range or malformed. */
	{ "GET a group=0", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=1025", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=two", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=-1", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=+1", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=1x", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=\t5", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "group" },
	{ "GET a group=99999999999999999999", -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "group" },
	{ "GET a client=0", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "client" },
	{ "GET a client=1025", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "client" },
	{ "GET a client=x", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "client" },
	{ "GET a run=0123456789abcde", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "run" },
	{ "GET a run=0123456789abcdef0", -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "run" },
	{ "GET a run=0123456789abcdeg", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "run" },
	{ "GET a run=0000000000000000", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "run" },
	{ "GET a run=0x23456789abcdef", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "run" },
	{ "GET a run=", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "run" },
	{ "GET a proto=sctp", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "proto" },
	{ "GET a proto=TCP", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "proto" },
	{ "GET a proto=", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "proto" },
	{ "GET a size=5", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "option" },
	{ "GET a b", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "option" },
	{ "GET a group", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "option" },

	/* DONE: both fields, exactly. */
	{ "DONE ", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "DONE" },
	{ "DONE 12", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "DONE" },
	{ "DONE 12 " HEX64 " extra", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "DONE" },
	{ "DONE twelve " HEX64, -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "number" },
	{ "DONE -1 " HEX64, -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "number" },
	{ "DONE 0x10 " HEX64, -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "number" },
	{ "DONE 18446744073709551616 " HEX64, -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "number" },
	{ "DONE 12 " HEX63, -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "hash" },
	{ "DONE 12 " HEX64 "0", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "hash" },
	{ "DONE 12 " HEX64_UPPER, -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "hash" },
	{ "DONE 12 " HEX63 "g", -1, 0, NULL, 0, 0, 0, 0, 0, NULL, "hash" },

	/* Garbage: binary, a TLS hello, an HTTP verb. */
	{ "\x16\x03\x01\x02", -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "unknown command" },
	{ "\xff\xfe\xfd GET a", -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "unknown command" },
	{ "POST / HTTP/1.1", -1, 0, NULL, 0, 0, 0, 0, 0, NULL,
	    "unknown command" },
};

/* Printable form of a line for test names: escapes, and cut short. */
static const char *
show(const char *s)
{
	static char buf[96];
	size_t o = 0;

	for (; *s && o < sizeof(buf) - 8; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= ' ' && c < 0x7f && c != '#' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	if (*s)
		memcpy(buf + o, "...", 4);
	else
		buf[o] = '\0';
	return buf;
}

static void
check_request(const struct req_case *c)
{
	struct ft_request r;
	const char *why = NULL;
	char name[128];
	int rc = ft_parse_request(c->line, &r, &why);

	snprintf(name, sizeof(name), "%s", show(c->line));
	if (c->rc < 0) {
		if (!is_int(-1, rc, "refuses '%s'", name))
			return;
		ok(why != NULL && strstr(why, c->why) != NULL,
		    "'%s': the reason mentions '%s'", name, c->why);
		if (why == NULL || strstr(why, c->why) == NULL)
			diag("reason: %s", why ? why : "(none)");
		return;
	}
	if (!is_int(0, rc, "accepts '%s'", name)) {
		diag("reason: %s", why ? why : "(none)");
		return;
	}
	ok(r.verb == c->verb && strcmp(r.file, c->file) == 0 &&
	    r.group == c->group && r.client == c->client && r.run == c->run &&
	    r.proto == c->proto && r.bytes == c->bytes &&
	    strcmp(r.sha256, c->sha256 ? c->sha256 : "") == 0,
	    "'%s': every field as sent", name);
}

/* READY, and over UDP its options: where the client receives and how
 * much its socket buffer holds. */
struct ready_case {
	const char *line;
	int rc;
	unsigned udp_port;
	uint32_t rcvbuf;
	const char *why;
};

static const struct ready_case readies[] = {
	{ "READY", 0, 0, 0, NULL },
	{ "READY udp_port=5006 rcvbuf=4194304", 0, 5006, 4194304, NULL },
	{ "READY rcvbuf=0 udp_port=65535", 0, 65535, 0, NULL },
	{ "READY udp_port=0", -1, 0, 0, "udp_port" },
	{ "READY udp_port=65536", -1, 0, 0, "udp_port" },
	{ "READY udp_port=-1", -1, 0, 0, "udp_port" },
	{ "READY rcvbuf=4294967296", -1, 0, 0, "rcvbuf" },
	{ "READY rcvbuf=big", -1, 0, 0, "rcvbuf" },
	{ "READY now", -1, 0, 0, "READY" },
	{ "READY file=x", -1, 0, 0, "READY" },
};

static void
check_ready(const struct ready_case *c)
{
	struct ft_request r;
	const char *why = NULL;
	int rc = ft_parse_request(c->line, &r, &why);

	if (c->rc < 0) {
		if (is_int(-1, rc, "refuses '%s'", c->line))
			ok(why && strstr(why, c->why), "'%s': the reason mentions "
			    "'%s' (%s)", c->line, c->why, why ? why : "none");
		return;
	}
	if (is_int(0, rc, "accepts '%s'", c->line))
		ok(r.verb == FT_READY && r.udp_port == c->udp_port &&
		    r.rcvbuf == c->rcvbuf, "'%s': verb, udp_port, rcvbuf",
		    c->line);
}

/* Lines built at run time: names at the length limit, oversize lines. */
static void
check_lengths(void)
{
	char name[FT_NAME_MAX + 2], line[70000];
	struct ft_request r;
	const char *why = NULL;

	memset(name, 'n', sizeof(name));
	name[FT_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "GET %s group=2", name);
	is_int(0, ft_parse_request(line, &r, &why), "GET with a %d-char name",
	    FT_NAME_MAX);
	is_string(name, r.file, "the %d-char name is kept whole", FT_NAME_MAX);
	name[FT_NAME_MAX] = 'n';
	name[FT_NAME_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "GET %s", name);
	is_int(-1, ft_parse_request(line, &r, &why), "GET with a %d-char name",
	    FT_NAME_MAX + 1);

	/* The longest line the server reads (FT_LINE_MAX) is still parsed
	 * (and refused for its name), longer ones are refused as such. */
	memset(line, 'a', 1024);
	memcpy(line, "GET ", 4);
	line[1024] = '\0';
	why = NULL;
	is_int(-1, ft_parse_request(line, &r, &why), "a 1024-byte GET line");
	memset(line, 'a', sizeof(line) - 1);
	memcpy(line, "GET ", 4);
	line[sizeof(line) - 1] = '\0';
	why = NULL;
	is_int(-1, ft_parse_request(line, &r, &why), "a 70000-byte GET line");
	ok(why && strstr(why, "too long"), "...refused as too long (%s)",
	    why ? why : "no reason");
	memset(line, ' ', sizeof(line) - 1);
	memcpy(line, "LIST", 4);
	why = NULL;
	is_int(-1, ft_parse_request(line, &r, &why),
	    "LIST followed by 70000 spaces");
}

struct offer_case {
	const char *line;
	int rc;
	unsigned member, group;
	const char *file;
	uint64_t size;
	unsigned udp_port;
};

static const struct offer_case offers[] = {
	{ "OK member=1 group=2 file=a.bin size=10 sha256=" HEX64, 0, 1, 2,
	    "a.bin", 10, 0 },
	{ "OK member=25 group=25 file=x size=0 sha256=" HEX64 " udp_port=5030",
	    0, 25, 25, "x", 0, 5030 },
	{ "OK sha256=" HEX64 " size=3 file=f group=1 member=1", 0, 1, 1, "f",
	    3, 0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64 " future=yes", 0,
	    1, 1, "f", 3, 0 },
	{ "OK member=1 group=1 file=f size=9223372036854775807 sha256=" HEX64,
	    0, 1, 1, "f", 9223372036854775807ULL, 0 },
	{ "OK member=1 group=3 file=f size=3 sha256=" HEX64 " udp_port=5007 "
	    "xfer=00c0ffee datagram=1400 mode=raw", 0, 1, 3, "f", 3, 5007 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64 " xfer=c0ffee", -1,
	    0, 0, NULL, 0, 0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64 " mode=fast", -1,
	    0, 0, NULL, 0, 0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64 " datagram=65536",
	    -1, 0, 0, NULL, 0, 0 },
	{ "OK member=0 group=1 file=f size=3 sha256=" HEX64, -1, 0, 0, NULL, 0,
	    0 },
	{ "OK member=3 group=2 file=f size=3 sha256=" HEX64, -1, 0, 0, NULL, 0,
	    0 },
	{ "OK member=1 group=1 size=3 sha256=" HEX64, -1, 0, 0, NULL, 0, 0 },
	{ "OK member=1 group=1 file=f size=3", -1, 0, 0, NULL, 0, 0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX63, -1, 0, 0, NULL, 0,
	    0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64_UPPER, -1, 0, 0,
	    NULL, 0, 0 },
	{ "OK member=1 group=1 file=../f size=3 sha256=" HEX64, -1, 0, 0, NULL,
	    0, 0 },
	{ "OK member=1 group=1 file=f size=-3 sha256=" HEX64, -1, 0, 0, NULL,
	    0, 0 },
	{ "OK member=1 group=1 file=f size=9223372036854775808 sha256=" HEX64,
	    -1, 0, 0, NULL, 0, 0 },
	{ "OK member=1 group=1 file=f size=3 sha256=" HEX64 " udp_port=65536",
	    -1, 0, 0, NULL, 0, 0 },
	{ "OK member=x group=1 file=f size=3 sha256=" HEX64, -1, 0, 0, NULL, 0,
	    0 },
	{ "ok member=1 group=1 file=f size=3 sha256=" HEX64, -1, 0, 0, NULL, 0,
	    0 },
	{ "ERR 404 no such file", -1, 0, 0, NULL, 0, 0 },
	{ "OK", -1, 0, 0, NULL, 0, 0 },
	{ "", -1, 0, 0, NULL, 0, 0 },
};

static void
check_offer(const struct offer_case *c)
{
	struct ft_offer o;
	int rc = ft_parse_offer(c->line, &o);

	if (!is_int(c->rc, rc, "offer '%s' %s", show(c->line),
	    c->rc ? "refused" : "accepted") || c->rc != 0)
		return;
	ok(o.member == c->member && o.group == c->group &&
	    strcmp(o.file, c->file) == 0 && o.size == c->size &&
	    strcmp(o.sha256, HEX64) == 0 && o.udp_port == c->udp_port,
	    "offer '%s': every field", show(c->line));
}

struct error_case {
	const char *line;
	int rc, code;
	const char *message;
};

static const struct error_case errors[] = {
	{ "ERR 404 no such file in the catalogue: x", 0, 404,
	    "no such file in the catalogue: x" },
	{ "ERR 403 invalid file name", 0, 403, "invalid file name" },
	{ "ERR 413 a group of 5 connections exceeds the 3 workers", 0, 413,
	    "a group of 5 connections exceeds the 3 workers" },
	{ "ERR 500", 0, 500, "" },
	{ "ERR 40", -1, 0, NULL },
	{ "ERR abc oops", -1, 0, NULL },
	{ "ERR -12 oops", -1, 0, NULL },
	{ "err 404 x", -1, 0, NULL },
	{ "ERR", -1, 0, NULL },
	{ "OK member=1", -1, 0, NULL },
	{ "", -1, 0, NULL },
};

static void
check_error(const struct error_case *c)
{
	const char *msg = NULL;
	int code = 0, rc = ft_parse_error(c->line, &code, &msg);

	if (!is_int(c->rc, rc, "error line '%s' %s", show(c->line),
	    c->rc ? "refused" : "accepted") || c->rc != 0)
		return;
	is_int(c->code, code, "'%s': code", show(c->line));
	is_string(c->message, msg, "'%s': message", show(c->line));
}

struct data_case {
	const char *line;
	int rc;
	uint64_t size;
};

static const struct data_case datas[] = {
	{ "DATA 0", 0, 0 },
	{ "DATA 1000003", 0, 1000003 },
	{ "DATA 9223372036854775807", 0, 9223372036854775807ULL },
	{ "DATA 9223372036854775808", -1, 0 },
	{ "DATA ", -1, 0 },
	{ "DATA", -1, 0 },
	{ "DATA -1", -1, 0 },
	{ "DATA +1", -1, 0 },
	{ "DATA 12x", -1, 0 },
	{ "DATA 12 ", -1, 0 },
	{ "data 12", -1, 0 },
	{ "DATA  12", -1, 0 },
	{ "DATA 12 start=1764590000.123456789", 0, 12 },
	{ "DATA 12 start=1.000000000", 0, 12 },
	{ "DATA 12 start=1.5", -1, 0 },
	{ "DATA 12 start=.123456789", -1, 0 },
	{ "DATA 12 start=x.123456789", -1, 0 },
	{ "DATA 12 start=1.12345678x", -1, 0 },
	{ "DATA 12 begin=1.123456789", -1, 0 },
	{ "DATA 12 start=1.123456789 more", -1, 0 },
	{ "ERR 500 oops", -1, 0 },
};

static void
check_data(const struct data_case *c)
{
	struct ft_data d;
	int rc = ft_parse_data(c->line, &d);

	if (is_int(c->rc, rc, "data line '%s' %s", show(c->line),
	    c->rc ? "refused" : "accepted") && c->rc == 0)
		is_uint(c->size, d.size, "'%s': size", show(c->line));
}

struct greeting_case {
	const char *line;
	int rc;
	enum ft_proto_kind proto;
	unsigned workers;
};

static const struct greeting_case greetings[] = {
	{ "FT/1 ftserver 1.0.0 tcp workers=25", 0, FT_TCP, 25 },
	{ "FT/1 ftserver 1.0.0 udp workers=1", 0, FT_UDP, 1 },
	{ "FT/1 ftserver 0.9 tcp", 0, FT_TCP, 0 },	/* older: not said */
	{ "FT/1 ftserver 2.0 tcp workers=8 later=yes", 0, FT_TCP, 8 },
	{ "FT/1 ftserver 1.0.0 tcp workers=x", -1, FT_TCP, 0 },
	{ "FT/1 ftserver 1.0.0 tcp workers=-1", -1, FT_TCP, 0 },
	{ "FT/1 ftserver 1.0.0 tcp workers=99999", -1, FT_TCP, 0 },
	{ "FT/2 ftserver 1.0.0 tcp workers=25", -1, FT_TCP, 0 },
	{ "HTTP/1.1 200 OK", -1, FT_TCP, 0 },
	{ "", -1, FT_TCP, 0 },
};

static void
check_greeting(const struct greeting_case *c)
{
	struct ft_greeting g;
	int rc = ft_parse_greeting(c->line, &g);

	if (is_int(c->rc, rc, "greeting '%s' %s", show(c->line),
	    c->rc ? "refused" : "accepted") && c->rc == 0)
		ok(g.proto == c->proto && g.workers == c->workers,
		    "'%s': proto and workers (%u)", show(c->line), g.workers);
}

struct queued_case {
	const char *line;
	int rc;
	unsigned ahead, need, free;
};

static const struct queued_case queueds[] = {
	{ "QUEUED ahead=0 need=20 free=5", 0, 0, 20, 5 },
	{ "QUEUED ahead=3 need=1 free=0", 0, 3, 1, 0 },
	{ "QUEUED ahead=2", 0, 2, 0, 0 },
	{ "QUEUED ahead=1 eta=30 need=2", 0, 1, 2, 0 },	/* later fields */
	{ "QUEUED ahead=x", -1, 0, 0, 0 },
	{ "QUEUED ahead=-1", -1, 0, 0, 0 },
	{ "QUEUED ahead=99999", -1, 0, 0, 0 },
	{ "QUEUED", -1, 0, 0, 0 },
	{ "queued ahead=1", -1, 0, 0, 0 },
	{ "OK member=1 group=1", -1, 0, 0, 0 },
};

static void
check_queued(const struct queued_case *c)
{
	struct ft_queued q;
	int rc = ft_parse_queued(c->line, &q);

	if (is_int(c->rc, rc, "queued line '%s' %s", show(c->line),
	    c->rc ? "refused" : "accepted") && c->rc == 0)
		ok(q.ahead == c->ahead && q.need == c->need && q.free == c->free,
		    "'%s': ahead %u need %u free %u", show(c->line), q.ahead,
		    q.need, q.free);
}

struct name_case {
	const char *name;
	bool valid;
};

static const struct name_case names[] = {
	{ "a", true },
	{ "100MB.bin", true },
	{ "file-1_2.txt", true },
	{ "a.b.c", true },
	{ "UPPER~case+x=y,z@1", true },
	{ "ends-with-dash-", true },
	{ "ends.with.dot.", true },
	{ "", false },
	{ ".", false },
	{ "..", false },
	{ ".hidden", false },
	{ "-rf", false },
	{ "-", false },
	{ "a/b", false },
	{ "/etc/passwd", false },
	{ "../x", false },
	{ "x/..", false },
	{ "a/../b", false },
	{ "a..b", false },
	{ "a\\b", false },
	{ "..\\x", false },
	{ "a b", false },
	{ " a", false },
	{ "a ", false },
	{ "a\tb", false },
	{ "a\nb", false },
	{ "a\rb", false },
	{ "a\x01" "b", false },
	{ "a\x1f", false },
	{ "a\x7f", false },
	{ "caf\xc3\xa9", false },
};

static void
check_names(void)
{
	char longest[FT_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		is_int(names[i].valid, ft_name_valid(names[i].name),
		    "name '%s' is %s", show(names[i].name),
		    names[i].valid ? "valid" : "refused");
	memset(longest, 'x', sizeof(longest));
	longest[FT_NAME_MAX] = '\0';
	ok(ft_name_valid(longest), "a %d-char name is valid", FT_NAME_MAX);
	longest[FT_NAME_MAX] = 'x';
	longest[FT_NAME_MAX + 1] = '\0';
	ok(!ft_name_valid(longest), "a %d-char name is refused",
	    FT_NAME_MAX + 1);
}

#define EACH(table, fn) \
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) fn(&table[i])

int
main(void)
{
	size_t i;

	EACH(requests, check_request);
	EACH(readies, check_ready);
	check_lengths();
	EACH(offers, check_offer);
	EACH(errors, check_error);
	EACH(datas, check_data);
	EACH(greetings, check_greeting);
	EACH(queueds, check_queued);
	check_names();
	is_string("tcp", ft_proto_name(FT_TCP), "ft_proto_name(FT_TCP)");
	is_string("udp", ft_proto_name(FT_UDP), "ft_proto_name(FT_UDP)");
	return done_testing();
}
