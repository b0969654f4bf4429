/* <bsd/string.h> for the Windows build: libbsd's strlcpy, implemented in
 * ft_sys_win.c. Only `make windows` puts common/win on the include path. */
#ifndef FT_WIN_BSD_STRING_H
#define FT_WIN_BSD_STRING_H

#include <stddef.h>
#include <string.h>

size_t strlcpy(char *dst, const char *src, size_t size);

#endif
