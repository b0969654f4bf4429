/* ft_text.c: escaping text from the network. */
#include "ft_text.h"

#include <stdio.h>

void
ft_text_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = 0;

	if (len == 0)
		return;
	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (n + 1 >= len)
				break;
			dst[n++] = (char)*p;
		} else {
			if (n + 4 >= len)
				break;
			snprintf(dst + n, 5, "\\x%02x", *p);
			n += 4;
		}
	}
	dst[n] = '\0';
}
