/* ft_text.h: text from the network made safe to print and to log. A peer
 * may send anything in an ERR line, a file name or a BYE; shown raw, an
 * escape sequence could retitle or clear the operator's terminal, or a
 * newline or tab could forge a log line or a TSV field. */
#ifndef FT_TEXT_H
#define FT_TEXT_H

#include <stddef.h>

/* Copies src into dst (len bytes, NUL-terminated, cut cleanly), with every
 * byte a terminal or a log reader could act on written as \xNN: the C0
 * controls (tab, CR and newline included), DEL and bytes from 0x80 on
 * (the protocol is ASCII). A backslash is written \\, so that a peer's
 * text "\x1b" cannot pass for an escaped ESC. Other printable ASCII
 * passes as it is. */
void ft_text_escape(char *dst, size_t len, const char *src);

#endif
