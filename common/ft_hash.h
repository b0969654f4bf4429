/* ft_hash.h: SHA-256, one object per stream so a receiver can hash in
 * the same pass as it writes. The digest is the platform's: OpenSSL's
 * EVP on POSIX, CNG on Windows (ft_sys.h); the rest is ft_hash.c. */
#ifndef FT_HASH_H
#define FT_HASH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define FT_SHA256_HEX 65	/* 64 hex digits and a NUL */

struct ft_sha256;

struct ft_sha256 *ft_sha256_new(void);
int ft_sha256_update(struct ft_sha256 *h, const void *data, size_t len);
/* The 32 bytes of the digest (the platform's part); h stays to free. */
int ft_sha256_digest(struct ft_sha256 *h, unsigned char md[32]);
/* Writes the lowercase hex digest into hex[FT_SHA256_HEX]; frees h. */
int ft_sha256_final(struct ft_sha256 *h, char hex[FT_SHA256_HEX]);
void ft_sha256_free(struct ft_sha256 *h);
/* Hashes a whole open file by reading it in chunks (never mapped whole). */
int ft_sha256_fd(int fd, char hex[FT_SHA256_HEX]);
/* Hashes exactly the first size bytes of a file (EIO if it is shorter):
 * what a server offers, even if the file grows meanwhile. Gives up with
 * EINTR when *stop becomes non-zero (NULL: never). */
int ft_sha256_fd_size(int fd, uint64_t size, volatile sig_atomic_t *stop,
    char hex[FT_SHA256_HEX]);
int ft_sha256_valid_hex(const char *s);

#endif
