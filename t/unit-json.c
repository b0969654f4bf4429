/* unit-json.c: common/ft_json.c, the JSON writer both programs share.
 * Exact outputs: commas and nesting, every kind of value, strings with
 * quotes, backslashes, controls, HTML's <>&, valid UTF-8 and every way
 * of being invalid UTF-8; and every misuse reported, never silent. */
#include "ft_json.h"
#include "tap.h"

#include <errno.h>
#include <math.h>

static char *text;
static size_t text_len;
static FILE *out;

static struct ft_json *
start(void)
{
	static struct ft_json j;

	out = open_memstream(&text, &text_len);
	if (out == NULL)
		bail("open_memstream");
	ft_json_init(&j, out);
	return &j;
}

/* Ends the document; its text, and end's result and errno. */
static const char *
finish(struct ft_json *j, int *rc, int *err)
{
	*rc = ft_json_end(j);
	*err = *rc < 0 ? errno : 0;
	if (fclose(out) != 0)
		bail("fclose");
	return text;
}

static void
is_doc(struct ft_json *j, const char *want, const char *name)
{
	int rc, err;

	finish(j, &rc, &err);
	is_int(0, rc, "%s: ends without error", name);
	is_string(want, text, "%s", name);
	free(text);
}

static void
is_error(struct ft_json *j, int want, const char *name)
{
	int rc, err;

	finish(j, &rc, &err);
	ok(rc == -1 && err == want, "%s: reported (errno %d, want %d)", name,
	    err, want);
	free(text);
}

static void
string_case(const char *in, const char *want, const char *name)
{
	struct ft_json *j = start();

	ft_json_string(j, in);
	is_doc(j, want, name);
}

static void
test_values(void)
{
	struct ft_json *j = start();

	ft_json_object(j);
	ft_json_kstr(j, "s", "x");
	ft_json_kint(j, "i", -42);
	ft_json_kuint(j, "u", 18446744073709551615ULL);
	ft_json_kdouble(j, "d", 1.23456, 3);
	ft_json_kdouble(j, "z", -0.0, 1);
	ft_json_kbool(j, "t", true);
	ft_json_kbool(j, "f", false);
	ft_json_key(j, "n");
	ft_json_null(j);
	ft_json_kstr(j, "sn", NULL);
	ft_json_key(j, "a");
	ft_json_array(j);
	ft_json_int(j, 1);
	ft_json_array(j);
	ft_json_close(j);
	ft_json_object(j);
	ft_json_close(j);
	ft_json_uint(j, 0);
	ft_json_close(j);
	ft_json_close(j);
	is_doc(j, "{\"s\":\"x\",\"i\":-42,\"u\":18446744073709551615,"
	    "\"d\":1.235,\"z\":0.0,\"t\":true,\"f\":false,\"n\":null,"
	    "\"sn\":null,\"a\":[1,[],{},0]}\n", "every kind of value, commas "
	    "and nesting");

	j = start();
	ft_json_object(j);
	ft_json_kint(j, "a", 1);
	ft_json_break(j);
	ft_json_key(j, "rows");
	ft_json_array(j);
	ft_json_break(j);
	ft_json_int(j, 1);
	ft_json_break(j);
	ft_json_int(j, 2);
	ft_json_close(j);
	ft_json_break(j);
	ft_json_close(j);
	is_doc(j, "{\"a\":1,\n\"rows\":[\n1,\n2]\n}\n", "breaks: a newline "
	    "after the comma, before the item or the close");

	j = start();
	ft_json_int(j, 7);
	is_doc(j, "7\n", "a bare top-level value");
}

static void
test_strings(void)
{
	string_case("", "\"\"\n", "the empty string");
	string_case("a\"b\\c/d", "\"a\\\"b\\\\c/d\"\n", "quote and backslash");
	string_case("\x01\b\t\n\r\x1b[2J\x1f\x7f",
	    "\"\\u0001\\u0008\\u0009\\u000a\\u000d\\u001b[2J\\u001f\\u007f\"\n",
	    "control bytes and DEL as \\u00XX");
	string_case("</script><!--&amp;", "\"\\u003c/script\\u003e\\u003c!--"
	    "\\u0026amp;\"\n", "<, > and & cannot close a script tag");
	string_case("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"\n",
	    "valid UTF-8: its code points, a pair past U+FFFF");
	string_case("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\\uffff\\udbff\\udfff\"\n",
	    "the last code points of each length");
	string_case("a\xff" "b\xfe\x80", "\"a\\u00ffb\\u00fe\\u0080\"\n",
	    "bytes never in UTF-8: their Latin-1 code point");
	string_case("\xc0\xaf\xe0\x80\xaf", "\"\\u00c0\\u00af\\u00e0\\u0080"
	    "\\u00af\"\n", "overlong forms: byte by byte");
	string_case("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"\n",
	    "an encoded surrogate: byte by byte");
	string_case("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"\n",
	    "past U+10FFFF: byte by byte");
	string_case("x\xe2\x82", "\"x\\u00e2\\u0082\"\n",
	    "a sequence cut by the end of the string");
	string_case("\xe2\x82" "A", "\"\\u00e2\\u0082A\"\n",
	    "a sequence cut by an ASCII byte: the byte survives");
	string_case("\xc3", "\"\\u00c3\"\n", "a lone lead byte");
}

static void
test_keys(void)
{
	struct ft_json *j = start();

	ft_json_object(j);
	ft_json_kint(j, "a\"\n<", 1);
	ft_json_close(j);
	is_doc(j, "{\"a\\\"\\u000a\\u003c\":1}\n", "keys are escaped as strings");
}

static void
test_misuse(void)
{
	struct ft_json *j;
	unsigned i;

	j = start();
	ft_json_object(j);
	ft_json_int(j, 1);
	is_error(j, EINVAL, "a value in an object without its key");

	j = start();
	ft_json_array(j);
	ft_json_key(j, "k");
	is_error(j, EINVAL, "a key in an array");

	j = start();
	ft_json_object(j);
	ft_json_key(j, "k");
	ft_json_key(j, "l");
	is_error(j, EINVAL, "two keys in a row");

	j = start();
	ft_json_object(j);
	ft_json_key(j, "k");
	ft_json_close(j);
	is_error(j, EINVAL, "a key closed without its value");

	j = start();
	ft_json_close(j);
	is_error(j, EINVAL, "a close with nothing open");

	j = start();
	ft_json_array(j);
	is_error(j, EINVAL, "a document left open");

	j = start();
	is_error(j, EINVAL, "an empty document");

	j = start();
	ft_json_int(j, 1);
	ft_json_int(j, 2);
	is_error(j, EINVAL, "two top-level values");

	j = start();
	for (i = 0; i < FT_JSON_DEPTH_MAX; i++)
		ft_json_array(j);
	for (i = 0; i < FT_JSON_DEPTH_MAX; i++)
		ft_json_close(j);
	is_doc(j, "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]\n", "FT_JSON_DEPTH_MAX "
	    "levels nest");

	j = start();
	for (i = 0; i <= FT_JSON_DEPTH_MAX; i++)
		ft_json_array(j);
	is_error(j, E2BIG, "one level deeper is refused");

	j = start();
	ft_json_array(j);
	ft_json_double(j, NAN, 3);
	ft_json_close(j);
	is_error(j, EDOM, "NaN: reported");

	j = start();
	ft_json_array(j);
	ft_json_double(j, -INFINITY, 1);
	ft_json_close(j);
	is_error(j, EDOM, "an infinity: reported");

	j = start();
	ft_json_array(j);
	ft_json_int(j, 1);
	ft_json_close(j);
	ft_json_close(j);
	ft_json_int(j, 2);
	ft_json_string(j, "more");
	{
		int rc, err;

		finish(j, &rc, &err);
		ok(rc == -1 && err == EINVAL, "a close too many: reported");
		is_string("[1]", text, "after the first error nothing more is "
		    "written (nor the final newline)");
		free(text);
	}
}

/* --json-stream: one document a line, the writer reused after each end. */
static void
test_lines(void)
{
	struct ft_json *j = start();
	int rc, err;

	ft_json_object(j);
	ft_json_kstr(j, "event", "start");
	ft_json_close(j);
	ok(ft_json_end(j) == 0, "the first line ends without error");
	ft_json_object(j);
	ft_json_kstr(j, "event", "end");
	ft_json_close(j);
	finish(j, &rc, &err);
	is_string("{\"event\":\"start\"}\n{\"event\":\"end\"}\n", text,
	    "two documents, one a line");
	free(text);
}

int
main(void)
{
	test_values();
	test_strings();
	test_keys();
	test_misuse();
	test_lines();
	return done_testing();
}
