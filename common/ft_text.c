/* ft_text.c: escaping text from the network. */
#include "ft_text.h"

#include <stdio.h>

/* Appends what stands for byte c at dst + *n, if it all fits (an escape
 * is never cut in the middle): 0, or -1 when full. */
static int
put_escaped(char *dst, size_t len, size_t *n, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f && c != '\\') {
		if (*n + 1 >= len)
			return -1;
		dst[(*n)++] = (char)c;
	} else if (c == '\\') {
		/* Else the text "\x1b" would read as an escaped ESC. */
		if (*n + 2 >= len)
			return -1;
		dst[(*n)++] = '\\';
		dst[(*n)++] = '\\';
	} else {
		if (*n + 4 >= len)
			return -1;
		snprintf(dst + *n, 5, "\\x%02x", c);
		*n += 4;
	}
	return 0;
}

void
ft_text_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = 0;

	if (len == 0)
		return;
	for (; *p != '\0'; p++)
		if (put_escaped(dst, len, &n, *p) < 0)
			break;
	dst[n] = '\0';
}
