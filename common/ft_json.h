/* ft_json.h: a small streaming JSON writer, the one both programs use
 * (the server's /status.json, the client's --json and --json-stream).
 * In-tree because the Windows client cannot use Debian's libraries.
 *
 * Values go straight to a FILE as they are given: no tree in memory, so
 * a document of any length costs a fixed few hundred bytes. The writer
 * places the commas and checks the structure: a value in an object
 * needs its key first, a key only goes in an object, closes must match
 * opens, nesting stops at FT_JSON_DEPTH_MAX. The first mistake (or a
 * failed write, or a number JSON cannot hold) is kept in err and every
 * later call does nothing: ft_json_end() reports it, never silently.
 *
 * Strings come out as ASCII: '"' and '\' escaped, control bytes and
 * DEL as \u00XX, '<' '>' '&' as \u003c \u003e \u0026 (the text may be
 * put inside an HTML script tag), valid UTF-8 as the \uXXXX of its code
 * point (a surrogate pair above U+FFFF), and any byte that is not part
 * of valid UTF-8 (overlong forms, surrogates, past U+10FFFF, truncated
 * sequences) as its Latin-1 code point \u0080..\u00ff: the output is
 * always valid JSON, and no byte is dropped. */
#ifndef FT_JSON_H
#define FT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FT_JSON_DEPTH_MAX 16

struct ft_json {
	FILE *out;
	int err;		/* 0, or the first error (an errno value) */
	unsigned depth;
	bool object[FT_JSON_DEPTH_MAX + 1];	/* per level: object, or array */
	bool first[FT_JSON_DEPTH_MAX + 1];	/* nothing written at it yet */
	bool keyed;		/* a key waits for its value */
	bool done;		/* a top-level value is complete */
	bool breaking;		/* a newline before the next item or close */
};

void ft_json_init(struct ft_json *j, FILE *out);
/* Containers. */
void ft_json_object(struct ft_json *j);
void ft_json_array(struct ft_json *j);
void ft_json_close(struct ft_json *j);	/* the innermost open one */
/* A key in the open object, then its value. */
void ft_json_key(struct ft_json *j, const char *key);
/* Values. ft_json_string with NULL writes null. */
void ft_json_string(struct ft_json *j, const char *s);
void ft_json_int(struct ft_json *j, long long v);
void ft_json_uint(struct ft_json *j, unsigned long long v);
/* A fixed number of decimals (0..17); a NaN or an infinity writes null
 * and sets err to EDOM. */
void ft_json_double(struct ft_json *j, double v, int decimals);
void ft_json_bool(struct ft_json *j, bool v);
void ft_json_null(struct ft_json *j);
/* A newline before the next item (or close) of the open container:
 * whitespace JSON allows, for documents people read. */
void ft_json_break(struct ft_json *j);
/* Key and value in one call. */
void ft_json_kstr(struct ft_json *j, const char *key, const char *s);
/* A text field that may be empty (a fixed buffer's ""): null then. */
void ft_json_kfield(struct ft_json *j, const char *key, const char *s);
void ft_json_kint(struct ft_json *j, const char *key, long long v);
void ft_json_kuint(struct ft_json *j, const char *key, unsigned long long v);
void ft_json_kdouble(struct ft_json *j, const char *key, double v,
    int decimals);
void ft_json_kbool(struct ft_json *j, const char *key, bool v);
/* The document is complete: writes a newline, flushes. 0, or -1 with
 * errno the first error (EINVAL: unbalanced or misplaced; E2BIG: too
 * deep; EDOM: a number JSON cannot hold; else the write's). The writer
 * can then start the next document (one a line, as --json-stream). */
int ft_json_end(struct ft_json *j);

#endif
