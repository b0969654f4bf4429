/* tap.h: a tiny, header-only TAP producer for the C unit tests, in the
 * spirit of c-tap-harness's basic.h. One test program per concern; prove
 * reads what it prints. Everything is static so each test program gets
 * its own copy and nothing needs linking.
 *
 *   plan(n)            print "1..n" first (or call done_testing() last)
 *   ok(cond, fmt, ...) one test; returns cond so callers can chain diag()
 *   is_int / is_string / is_uint  compare and show both values on failure
 *   diag(fmt, ...)     a "# " comment on stderr (prove shows it)
 *   skip(n, fmt, ...)  n tests counted as skipped, with the reason
 *   bail(fmt, ...)     "Bail out!": stop the whole run (setup went wrong)
 *   done_testing()     prints the plan if none was given; returns the exit
 *                      status main() should return (0 when all passed)
 */
#ifndef FT_TAP_H
#define FT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long tap_run, tap_failed, tap_planned;

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

static inline void
tap_vprint(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

static inline void
plan(unsigned long n)
{
	tap_planned = n;
	printf("1..%lu\n", n);
	fflush(stdout);
}

static inline TAP_PRINTF(1, 2) void
diag(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* keep comments next to their test */
	va_start(ap, fmt);
	tap_vprint(stderr, "# ", fmt, ap);
	va_end(ap);
}

static inline TAP_PRINTF(1, 2) void __attribute__((noreturn))
bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint(stdout, "Bail out! ", fmt, ap);
	va_end(ap);
	exit(255);
}

/* The common end of every test function: number it and say how it went. */
static inline bool
tap_vok(bool cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %lu - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline TAP_PRINTF(2, 3) bool
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

static inline TAP_PRINTF(3, 4) bool
is_int(long long want, long long got, const char *fmt, ...)
{
	va_list ap;
	bool cond = want == got;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %lld\n#   wanted: %lld", got, want);
	return cond;
}

static inline TAP_PRINTF(3, 4) bool
is_uint(unsigned long long want, unsigned long long got, const char *fmt, ...)
{
	va_list ap;
	bool cond = want == got;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %llu\n#   wanted: %llu", got, want);
	return cond;
}

/* NULL is a value here: NULL equals only NULL. */
static inline TAP_PRINTF(3, 4) bool
is_string(const char *want, const char *got, const char *fmt, ...)
{
	va_list ap;
	bool cond = (want == NULL || got == NULL) ? want == got :
	    strcmp(want, got) == 0;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: \"%s\"\n#   wanted: \"%s\"", got ? got : "(null)",
		    want ? want : "(null)");
	return cond;
}

static inline TAP_PRINTF(2, 3) void
skip(unsigned long n, const char *fmt, ...)
{
	va_list ap;

	while (n-- > 0) {
		tap_run++;
		printf("ok %lu # skip ", tap_run);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
}

static inline int
done_testing(void)
{
	if (tap_planned == 0)
		printf("1..%lu\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %lu tests but ran %lu", tap_planned, tap_run);
	fflush(stdout);
	if (tap_failed > 0)
		diag("failed %lu of %lu tests", tap_failed, tap_run);
	return tap_failed > 0 || (tap_planned != 0 && tap_planned != tap_run);
}

#endif
