/* ft_proto.c: parsing of protocol lines. Every field is bounded; a line
 * that does not fit the grammar exactly is refused, never guessed at. */
#include "ft_proto.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool
ft_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > FT_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	if (strstr(name, "..") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '\\')
			return false;
	}
	return true;
}

const char *
ft_proto_name(enum ft_proto_kind p)
{
	return p == FT_UDP ? "udp" : "tcp";
}

const char ft_why_bad_name[] = "invalid file name";

/* Strict unsigned decimal (or hex with base 16) into [0, max]: digits
 * only, so no sign, space, tab or "0x" slips through strtoull. */
static int
parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	const char *p;

	if (*s == '\0')
		return -1;
	for (p = s; *p; p++)
		if (base == 16 ? !isxdigit((unsigned char)*p) :
		    !isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits "key=value"; returns the value or NULL if the key differs. */
static const char *
value_of(const char *token, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(token, key, n) == 0 && token[n] == '=')
		return token + n + 1;
	return NULL;
}

static int
parse_get_option(const char *tok, struct ft_request *req, const char **why)
{
	const char *v;
	uint64_t n;

	if ((v = value_of(tok, "group")) != NULL) {
		if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0 || n == 0)
			return *why = "group must be 1..1024", -1;
		req->group = (unsigned)n;
	} else if ((v = value_of(tok, "client")) != NULL) {
		if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0 || n == 0)
			return *why = "client must be 1..1024", -1;
		req->client = (unsigned)n;
	} else if ((v = value_of(tok, "run")) != NULL) {
		if (strlen(v) != 16 || parse_u64(v, 16, UINT64_MAX, &n) < 0 ||
		    n == 0)
			return *why = "run must be 16 hex digits", -1;
		req->run = n;
	} else if ((v = value_of(tok, "proto")) != NULL) {
		if (strcmp(v, "tcp") == 0)
			req->proto = FT_TCP;
		else if (strcmp(v, "udp") == 0)
			req->proto = FT_UDP;
		else
			return *why = "proto must be tcp or udp", -1;
	} else
		return *why = "unknown GET option", -1;
	return 0;
}

static int
parse_get(char *args, struct ft_request *req, const char **why)
{
	char *save = NULL, *tok = strtok_r(args, " ", &save);

	if (tok == NULL)
		return *why = "GET needs a file name or -", -1;
	if (strcmp(tok, "-") != 0) {
		if (!ft_name_valid(tok))
			return *why = ft_why_bad_name, -1;
		memcpy(req->file, tok, strlen(tok) + 1);
	}
	while ((tok = strtok_r(NULL, " ", &save)) != NULL)
		if (parse_get_option(tok, req, why) < 0)
			return -1;
	return 0;
}

static int
parse_done(char *args, struct ft_request *req, const char **why)
{
	char *save = NULL, *bytes = strtok_r(args, " ", &save);
	char *sha = strtok_r(NULL, " ", &save);

	if (bytes == NULL || sha == NULL || strtok_r(NULL, " ", &save) != NULL)
		return *why = "DONE needs <bytes> <sha256>", -1;
	if (parse_u64(bytes, 10, UINT64_MAX, &req->bytes) < 0)
		return *why = "DONE byte count is not a number", -1;
	if (strlen(sha) != 64 || !ft_sha256_valid_hex(sha))
		return *why = "DONE hash is not 64 lowercase hex digits", -1;
	memcpy(req->sha256, sha, FT_SHA256_HEX);
	return 0;
}

/* "READY udp_port=N rcvbuf=N": the client's UDP socket, over UDP. */
static int
parse_ready(char *args, struct ft_request *req, const char **why)
{
	char *save = NULL, *tok;
	const char *v;
	uint64_t n;

	for (tok = strtok_r(args, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if ((v = value_of(tok, "udp_port")) != NULL) {
			if (parse_u64(v, 10, 65535, &n) < 0 || n == 0)
				return *why = "udp_port must be 1..65535", -1;
			req->udp_port = (unsigned)n;
		} else if ((v = value_of(tok, "rcvbuf")) != NULL) {
			if (parse_u64(v, 10, UINT32_MAX, &n) < 0)
				return *why = "rcvbuf must be a byte count", -1;
			req->rcvbuf = (uint32_t)n;
		} else
			return *why = "unknown READY option", -1;
	}
	return 0;
}

int
ft_parse_request(const char *line, struct ft_request *req, const char **why)
{
	char copy[1100];
	size_t len = strlen(line);

	memset(req, 0, sizeof(*req));
	if (len >= sizeof(copy))
		return *why = "request line too long", -1;
	memcpy(copy, line, len + 1);
	if (strncmp(copy, "GET ", 4) == 0) {
		req->verb = FT_GET;
		return parse_get(copy + 4, req, why);
	}
	if (strncmp(copy, "DONE ", 5) == 0) {
		req->verb = FT_DONE;
		return parse_done(copy + 5, req, why);
	}
	if (strcmp(copy, "LIST") == 0)
		return req->verb = FT_LIST, 0;
	if (strcmp(copy, "READY") == 0)
		return req->verb = FT_READY, 0;
	if (strncmp(copy, "READY ", 6) == 0) {
		req->verb = FT_READY;
		return parse_ready(copy + 6, req, why);
	}
	if (strcmp(copy, "QUIT") == 0)
		return req->verb = FT_QUIT, 0;
	return *why = "unknown command (expected GET, LIST, READY, DONE, QUIT)", -1;
}

static int
parse_offer_field(const char *tok, struct ft_offer *o)
{
	const char *v;
	uint64_t n;

	if ((v = value_of(tok, "member")) != NULL) {
		if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0)
			return -1;
		o->member = (unsigned)n;
	} else if ((v = value_of(tok, "group")) != NULL) {
		if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0)
			return -1;
		o->group = (unsigned)n;
	} else if ((v = value_of(tok, "test")) != NULL) {
		if (parse_u64(v, 10, UINT32_MAX, &n) < 0)
			return -1;
		o->test = (uint32_t)n;
	} else if ((v = value_of(tok, "file")) != NULL) {
		if (!ft_name_valid(v))
			return -1;
		memcpy(o->file, v, strlen(v) + 1);
	} else if ((v = value_of(tok, "size")) != NULL) {
		if (parse_u64(v, 10, INT64_MAX, &o->size) < 0)
			return -1;
	} else if ((v = value_of(tok, "sha256")) != NULL) {
		if (!ft_sha256_valid_hex(v))
			return -1;
		memcpy(o->sha256, v, FT_SHA256_HEX);
	} else if ((v = value_of(tok, "udp_port")) != NULL) {
		if (parse_u64(v, 10, 65535, &n) < 0)
			return -1;
		o->udp_port = (unsigned)n;
	} else if ((v = value_of(tok, "xfer")) != NULL) {
		if (strlen(v) != 8 || parse_u64(v, 16, UINT32_MAX, &n) < 0)
			return -1;
		o->xfer = (uint32_t)n;
	} else if ((v = value_of(tok, "secret")) != NULL) {
		if (strlen(v) != 16 || parse_u64(v, 16, UINT64_MAX, &n) < 0)
			return -1;
		o->secret = n;
	} else if ((v = value_of(tok, "datagram")) != NULL) {
		if (parse_u64(v, 10, 65535, &n) < 0)
			return -1;
		o->datagram = (unsigned)n;
	} else if ((v = value_of(tok, "mode")) != NULL) {
		if (strcmp(v, "reliable") != 0 && strcmp(v, "raw") != 0)
			return -1;
		o->reliable = strcmp(v, "reliable") == 0;
	}
	/* Unknown fields are skipped so a newer server can add some. */
	return 0;
}

int
ft_parse_offer(const char *line, struct ft_offer *o)
{
	char copy[1100], *save = NULL, *tok;

	memset(o, 0, sizeof(*o));
	if (strlen(line) >= sizeof(copy) || strncmp(line, "OK ", 3) != 0)
		return -1;
	strcpy(copy, line + 3);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		if (parse_offer_field(tok, o) < 0)
			return -1;
	if (o->member == 0 || o->group == 0 || o->member > o->group ||
	    o->file[0] == '\0' || o->sha256[0] == '\0')
		return -1;
	return 0;
}

int
ft_parse_error(const char *line, int *code, const char **message)
{
	uint64_t n;
	char num[4];

	if (strncmp(line, "ERR ", 4) != 0 || strlen(line) < 7)
		return -1;
	memcpy(num, line + 4, 3);
	num[3] = '\0';
	if (parse_u64(num, 10, 999, &n) < 0)
		return -1;
	*code = (int)n;
	*message = line[7] == ' ' ? line + 8 : line + 7;
	return 0;
}

/* "<seconds>.<9 digits>" */
static int
parse_start(const char *v, struct timespec *ts)
{
	char secs[24];
	const char *dot = strchr(v, '.');
	uint64_t s, ns;

	if (dot == NULL || dot - v == 0 || (size_t)(dot - v) >= sizeof(secs) ||
	    strlen(dot + 1) != 9)
		return -1;
	memcpy(secs, v, (size_t)(dot - v));
	secs[dot - v] = '\0';
	if (parse_u64(secs, 10, INT32_MAX * 4ULL, &s) < 0 ||
	    parse_u64(dot + 1, 10, 999999999, &ns) < 0)
		return -1;
	ts->tv_sec = (time_t)s;
	ts->tv_nsec = (long)ns;
	return 0;
}

int
ft_parse_data(const char *line, struct ft_data *d)
{
	char copy[64], *sp;
	const char *v;

	memset(d, 0, sizeof(*d));
	if (strncmp(line, "DATA ", 5) != 0 || strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line + 5);
	if ((sp = strchr(copy, ' ')) != NULL) {
		*sp = '\0';
		if ((v = value_of(sp + 1, "start")) == NULL ||
		    parse_start(v, &d->start) < 0)
			return -1;
	}
	return parse_u64(copy, 10, INT64_MAX, &d->size);
}

int
ft_parse_greeting(const char *line, struct ft_greeting *g)
{
	char copy[1100], *save = NULL, *tok;
	const char *v;
	uint64_t n;

	memset(g, 0, sizeof(*g));
	if (strlen(line) >= sizeof(copy) ||
	    strncmp(line, FT_PROTO_TAG " ", strlen(FT_PROTO_TAG) + 1) != 0)
		return -1;
	strcpy(copy, line);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "udp") == 0)
			g->proto = FT_UDP;
		else if ((v = value_of(tok, "workers")) != NULL) {
			if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0)
				return -1;
			g->workers = (unsigned)n;
		}
	}
	return 0;
}

int
ft_parse_queued(const char *line, struct ft_queued *q)
{
	char copy[1100], *save = NULL, *tok;
	const char *v;
	uint64_t n;

	memset(q, 0, sizeof(*q));
	if (strlen(line) >= sizeof(copy) || strncmp(line, "QUEUED ", 7) != 0)
		return -1;
	strcpy(copy, line + 7);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		unsigned *field = (v = value_of(tok, "ahead")) ? &q->ahead :
		    (v = value_of(tok, "need")) ? &q->need :
		    (v = value_of(tok, "free")) ? &q->free : NULL;
		if (field == NULL)
			continue;	/* a later server may add fields */
		if (parse_u64(v, 10, FT_MAX_GROUP, &n) < 0)
			return -1;
		*field = (unsigned)n;
	}
	return 0;
}
