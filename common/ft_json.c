/* ft_json.c: the streaming JSON writer (ft_json.h says what it
 * promises). */
#include "ft_json.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void
ft_json_init(struct ft_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = true;
}

static void
fail(struct ft_json *j, int err)
{
	if (j->err == 0)
		j->err = err;
}

/* Before any value or key: the structure allows it here, and the comma
 * (and newline) that separate it from the previous item. */
static bool
begin_item(struct ft_json *j, bool is_key)
{
	bool in_object = j->depth > 0 && j->object[j->depth];

	if (j->err != 0)
		return false;
	if (j->depth == 0 && j->done) {
		fail(j, EINVAL);	/* a second top-level value */
		return false;
	}
	if (is_key ? !in_object || j->keyed : in_object && !j->keyed) {
		fail(j, EINVAL);
		return false;
	}
	if (j->keyed) {		/* the value of a key: no separator */
		j->keyed = false;
		return true;
	}
	if (!j->first[j->depth])
		fputc(',', j->out);
	if (j->breaking)
		fputc('\n', j->out);
	j->breaking = false;
	j->first[j->depth] = false;
	return true;
}

/* After a value: a top-level one completes the document. */
static void
end_value(struct ft_json *j)
{
	if (j->depth == 0)
		j->done = true;
}

static void
open_container(struct ft_json *j, bool object)
{
	if (!begin_item(j, false))
		return;
	if (j->depth == FT_JSON_DEPTH_MAX) {
		fail(j, E2BIG);
		return;
	}
	fputc(object ? '{' : '[', j->out);
	j->depth++;
	j->object[j->depth] = object;
	j->first[j->depth] = true;
}

void
ft_json_object(struct ft_json *j)
{
	open_container(j, true);
}

void
ft_json_array(struct ft_json *j)
{
	open_container(j, false);
}

void
ft_json_close(struct ft_json *j)
{
	if (j->err != 0)
		return;
	if (j->depth == 0 || j->keyed) {
		fail(j, EINVAL);	/* nothing open, or a key without value */
		return;
	}
	if (j->breaking)
		fputc('\n', j->out);
	j->breaking = false;
	fputc(j->object[j->depth] ? '}' : ']', j->out);
	j->depth--;
	end_value(j);
}

void
ft_json_break(struct ft_json *j)
{
	if (j->err == 0 && j->depth > 0 && !j->keyed)
		j->breaking = true;
}

/* The code point of the valid UTF-8 sequence at p (n bytes left), and
 * its length; 0 when p does not start one. */
static unsigned
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned len, i;
	uint32_t v, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, v = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, v = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, v = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;	/* overlong, past Unicode, a surrogate */
	*cp = v;
	return len;
}

static void
put_code_point(FILE *out, uint32_t cp)
{
	if (cp >= 0x10000) {
		cp -= 0x10000;
		fprintf(out, "\\u%04x\\u%04x", (unsigned)(0xd800 | cp >> 10),
		    (unsigned)(0xdc00 | (cp & 0x3ff)));
	} else
		fprintf(out, "\\u%04x", (unsigned)cp);
}

static void
put_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	uint32_t cp;
	unsigned len;

	fputc('"', out);
	while (n > 0) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p), len = 1;
		else if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '&')
			fprintf(out, "\\u%04x", *p), len = 1;
		else if (*p < 0x80)
			fputc(*p, out), len = 1;
		else if ((len = utf8_decode(p, n, &cp)) > 0)
			put_code_point(out, cp);
		else	/* not UTF-8: the byte as its Latin-1 code point */
			fprintf(out, "\\u%04x", *p), len = 1;
		p += len, n -= len;
	}
	fputc('"', out);
}

void
ft_json_key(struct ft_json *j, const char *key)
{
	if (key == NULL) {
		fail(j, EINVAL);
		return;
	}
	if (!begin_item(j, true))
		return;
	put_string(j->out, key);
	fputc(':', j->out);
	j->keyed = true;
}

void
ft_json_string(struct ft_json *j, const char *s)
{
	if (!begin_item(j, false))
		return;
	if (s == NULL)
		fputs("null", j->out);
	else
		put_string(j->out, s);
	end_value(j);
}

void
ft_json_int(struct ft_json *j, long long v)
{
	if (!begin_item(j, false))
		return;
	fprintf(j->out, "%lld", v);
	end_value(j);
}

void
ft_json_uint(struct ft_json *j, unsigned long long v)
{
	if (!begin_item(j, false))
		return;
	fprintf(j->out, "%llu", v);
	end_value(j);
}

void
ft_json_double(struct ft_json *j, double v, int decimals)
{
	if (!begin_item(j, false))
		return;
	if (decimals < 0 || decimals > 17) {
		fail(j, EINVAL);
		return;
	}
	if (!isfinite(v)) {
		fputs("null", j->out);	/* the document stays valid */
		fail(j, EDOM);
	} else
		fprintf(j->out, "%.*f", decimals, v == 0 ? 0.0 : v); /* no -0 */
	end_value(j);
}

void
ft_json_bool(struct ft_json *j, bool v)
{
	if (!begin_item(j, false))
		return;
	fputs(v ? "true" : "false", j->out);
	end_value(j);
}

void
ft_json_null(struct ft_json *j)
{
	ft_json_string(j, NULL);
}

void
ft_json_kstr(struct ft_json *j, const char *key, const char *s)
{
	ft_json_key(j, key);
	ft_json_string(j, s);
}

void
ft_json_kfield(struct ft_json *j, const char *key, const char *s)
{
	ft_json_kstr(j, key, s != NULL && s[0] != '\0' ? s : NULL);
}

void
ft_json_kint(struct ft_json *j, const char *key, long long v)
{
	ft_json_key(j, key);
	ft_json_int(j, v);
}

void
ft_json_kuint(struct ft_json *j, const char *key, unsigned long long v)
{
	ft_json_key(j, key);
	ft_json_uint(j, v);
}

void
ft_json_kdouble(struct ft_json *j, const char *key, double v, int decimals)
{
	ft_json_key(j, key);
	ft_json_double(j, v, decimals);
}

void
ft_json_kbool(struct ft_json *j, const char *key, bool v)
{
	ft_json_key(j, key);
	ft_json_bool(j, v);
}

int
ft_json_end(struct ft_json *j)
{
	int err = j->err;

	if (err == 0 && (j->depth != 0 || !j->done))
		err = EINVAL;	/* unclosed, or nothing written */
	if (err == 0) {
		fputc('\n', j->out);
		if (fflush(j->out) != 0 || ferror(j->out))
			err = errno ? errno : EIO;
	}
	ft_json_init(j, j->out);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}
