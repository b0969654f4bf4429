/* ft_opt.c: option values checked the same way in both programs. */
#include "ft_opt.h"

#include <err.h>
#include <stdlib.h>

#include <bsd/stdlib.h>

long long
ft_option_number(const char *arg, long long min, long long max,
    const char *what, ft_usage_fn *usage)
{
	const char *errstr = NULL;
	long long n = strtonum(arg, min, max, &errstr);

	if (errstr != NULL) {
		warnx("%s %s: must be %lld..%lld", what, arg, min, max);
		usage(2);
	}
	return n;
}
