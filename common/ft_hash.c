/* ft_hash.c: SHA-256 of streams and files, over the platform's digest
 * (ft_sys_posix.c: OpenSSL EVP; ft_sys_win.c: Windows' CNG). */
#include "ft_hash.h"
#include "ft_sys.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
ft_sha256_final(struct ft_sha256 *h, char hex[FT_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	int rc = -1, i;

	if (ft_sha256_digest(h, md) == 0) {
		for (i = 0; i < 32; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		hex[64] = '\0';
		rc = 0;
	}
	ft_sha256_free(h);
	return rc;
}

/* Hashes the first `size` bytes, or up to EOF when size is UINT64_MAX. */
static int
hash_fd(int fd, uint64_t size, volatile sig_atomic_t *stop,
    char hex[FT_SHA256_HEX])
{
	enum { CHUNK = 1 << 20 };
	struct ft_sha256 *h = ft_sha256_new();
	char *buf = malloc(CHUNK);
	uint64_t off = 0;
	ssize_t n;

	if (h == NULL || buf == NULL)
		goto fail;
	while (off < size) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		if (stop != NULL && *stop) {
			errno = EINTR;
			goto fail;
		}
		n = ft_pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0 && size != UINT64_MAX) {
			errno = EIO;	/* shorter than stated */
			goto fail;
		}
		if (n == 0)
			break;
		if (ft_sha256_update(h, buf, (size_t)n) < 0)
			goto fail;
		off += (uint64_t)n;
	}
	free(buf);
	return ft_sha256_final(h, hex);
fail:
	free(buf);
	ft_sha256_free(h);
	return -1;
}

int
ft_sha256_fd(int fd, char hex[FT_SHA256_HEX])
{
	return hash_fd(fd, UINT64_MAX, NULL, hex);
}

int
ft_sha256_fd_size(int fd, uint64_t size, volatile sig_atomic_t *stop,
    char hex[FT_SHA256_HEX])
{
	return hash_fd(fd, size, stop, hex);
}

int
ft_sha256_valid_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[64] == '\0';
}
