/* ft_opt.h: what both programs' option parsing shares. */
#ifndef FT_OPT_H
#define FT_OPT_H

/* A whole number in [min, max] (strtonum), or a warning naming the
 * option followed by usage(2), which does not return. */
typedef void ft_usage_fn(int);	/* prints usage, exits with the code */
long long ft_option_number(const char *arg, long long min, long long max,
    const char *what, ft_usage_fn *usage);

#endif
