/* <bsd/stdlib.h> for the Windows build: libbsd's strtonum, implemented
 * in ft_sys_win.c. Only `make windows` puts common/win on the include
 * path. */
#ifndef FT_WIN_BSD_STDLIB_H
#define FT_WIN_BSD_STDLIB_H

#include <stdlib.h>

long long strtonum(const char *s, long long min, long long max,
    const char **errstr);

#endif
