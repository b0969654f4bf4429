/* ft_proto.h: the wire protocol's messages, their parsing and the rule
 * for file names that may cross the network. PROTOCOL.md in the top of
 * the README describes the conversation; this is its single source. */
#ifndef FT_PROTO_H
#define FT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ft_hash.h"

#define FT_PROTO_TAG	"FT/1"
#define FT_NAME_MAX	128	/* longest catalogue file name on the wire */
#define FT_MAX_GROUP	1024	/* largest group a client may announce */

enum ft_verb { FT_GET, FT_LIST, FT_READY, FT_DONE, FT_QUIT };

enum ft_proto_kind { FT_TCP, FT_UDP };

/* Error codes, HTTP-like so they read well in nc. */
enum ft_err {
	FT_ERR_BAD_REQUEST = 400,
	FT_ERR_BAD_NAME = 403,
	FT_ERR_NO_FILE = 404,
	FT_ERR_TIMEOUT = 408,
	FT_ERR_CONFLICT = 409,	/* group aborted, or a different file */
	FT_ERR_TOO_LARGE = 413,	/* group larger than the worker pool */
	FT_ERR_LINE = 414,	/* request line too long */
	FT_ERR_INTERNAL = 500,
	FT_ERR_BUSY = 503,
};

struct ft_request {
	enum ft_verb verb;
	/* GET */
	char file[FT_NAME_MAX + 1];	/* "" = the server's selection */
	unsigned group;			/* 0 = the server decides */
	unsigned client;		/* 1-based, 0 = unknown */
	uint64_t run;			/* 0 = no run id (group by arrival) */
	enum ft_proto_kind proto;
	/* READY (UDP): where the client receives, and its buffer size */
	unsigned udp_port;
	uint32_t rcvbuf;
	/* DONE */
	uint64_t bytes;
	char sha256[FT_SHA256_HEX];
};

/* What the server offers in its OK line. */
struct ft_offer {
	unsigned member, group;
	uint32_t test;			/* the server's test number, 0: not said */
	char file[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
	/* UDP only (0 over TCP): */
	unsigned udp_port;		/* the worker's port */
	uint32_t xfer;			/* transfer id carried by datagrams */
	uint64_t secret;		/* proves HELLO and STATUS are ours */
	unsigned datagram;		/* payload bytes per datagram */
	bool reliable;			/* mode=reliable (else raw) */
};

/* The server's first line: "FT/1 ftserver VERSION tcp|udp workers=N". */
struct ft_greeting {
	enum ft_proto_kind proto;
	unsigned workers;		/* 0: not said (an older server) */
};

/* The answer to a GET whose test does not fit yet:
 * "QUEUED ahead=K need=N free=F". */
struct ft_queued {
	unsigned ahead, need, free;
};

/* Parses one request line. On error returns -1 and sets *why to a
 * static, human-readable reason; ft_why_bad_name (compare the pointer)
 * when the file name is what is wrong. */
extern const char ft_why_bad_name[];
int ft_parse_request(const char *line, struct ft_request *req,
    const char **why);
/* Client side: "OK ..." and "ERR code message" lines. */
int ft_parse_offer(const char *line, struct ft_offer *offer);
int ft_parse_error(const char *line, int *code, const char **message);
int ft_parse_greeting(const char *line, struct ft_greeting *g);
int ft_parse_queued(const char *line, struct ft_queued *q);
/* "DATA <size> [start=<seconds>.<nanoseconds>]": the start is the
 * server's release of the test (wall clock, UTC), 0 when not said. */
struct ft_data {
	uint64_t size;
	struct timespec start;
};
int ft_parse_data(const char *line, struct ft_data *d);

/* A name a client may ask for: 1..FT_NAME_MAX printable characters
 * without '/', '\\', "..", spaces, and not starting with '.' or '-'. */
bool ft_name_valid(const char *name);
const char *ft_proto_name(enum ft_proto_kind p);

#endif
