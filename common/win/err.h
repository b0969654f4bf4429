/* err.h for the Windows build (mingw-w64 has none): BSD's messages to
 * stderr, as ftclient uses them; ft_sys_win.c implements them. Only
 * `make windows` puts common/win on the include path. */
#ifndef FT_WIN_ERR_H
#define FT_WIN_ERR_H

void err(int status, const char *fmt, ...)
    __attribute__((noreturn, format(gnu_printf, 2, 3)));
void errx(int status, const char *fmt, ...)
    __attribute__((noreturn, format(gnu_printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
void warnx(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));

#endif
