/* unit-hash.c: common/ft_hash.c. Known SHA-256 vectors (FIPS 180-2 and
 * digests of a byte pattern computed with sha256sum), a whole file
 * through ft_sha256_fd across its 1 MiB read chunks, and incremental
 * updates in odd sizes, which must equal one update of everything (the
 * client hashes in whatever pieces recv() hands it). */
#include "ft_hash.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct vector {
	const char *text;
	const char *sha256;
};

static const struct vector vectors[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

/* Digests of pattern(n) below, from sha256sum. The sizes straddle the
 * 1 MiB chunk ft_sha256_fd reads with. */
static const struct {
	size_t size;
	const char *sha256;
} patterns[] = {
	{ 1048576, "c5a21e51df649a4dac048e947d52ab1164616932732d122c8fc75e5955f0b589" },
	{ 1048577, "a2b60f1a8e56b4a9c7e6973c1f56594309f4c4bd518166fae4f6910ba408e896" },
	{ 3145733, "b854db1a3ae4df036559f9b242af68835cc7d8bc5435d4a7f6c010db910c2534" },
};

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	uint64_t i;

	if (p == NULL)
		bail("out of memory");
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + (i >> 8)) & 0xff);
	return p;
}

/* One-shot, or in pieces of the given sizes (cycled). */
static void
digest(const void *data, size_t len, const size_t *steps, size_t nsteps,
    char hex[FT_SHA256_HEX])
{
	struct ft_sha256 *h = ft_sha256_new();
	const unsigned char *p = data;
	size_t off = 0, k = 0, n;

	if (h == NULL)
		bail("ft_sha256_new failed");
	while (off < len) {
		n = nsteps ? steps[k++ % nsteps] : len;
		if (n > len - off)
			n = len - off;
		if (ft_sha256_update(h, p + off, n) < 0)
			bail("ft_sha256_update failed");
		off += n;
	}
	hex[0] = '\0';
	if (ft_sha256_final(h, hex) < 0)
		bail("ft_sha256_final failed");
}

static void
check_vectors(void)
{
	char hex[FT_SHA256_HEX];
	unsigned char *million;
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		digest(vectors[i].text, strlen(vectors[i].text), NULL, 0, hex);
		is_string(vectors[i].sha256, hex, "sha256(\"%.10s%s\")",
		    vectors[i].text, strlen(vectors[i].text) > 10 ? "..." : "");
	}
	million = malloc(1000000);
	if (million == NULL)
		bail("out of memory");
	memset(million, 'a', 1000000);
	digest(million, 1000000, (const size_t[]){ 999 }, 1, hex);
	is_string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	    hex, "sha256 of a million 'a', in 999-byte pieces");
	free(million);
}

static int
temp_file_with(const unsigned char *data, size_t n, char *path, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/ft-unit-hash.XXXXXX", tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		bail("mkstemp: %s", strerror(errno));
	if (write(fd, data, n) != (ssize_t)n)
		bail("write %s: %s", path, strerror(errno));
	return fd;
}

static void
check_files(void)
{
	char hex[FT_SHA256_HEX], path[256];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		size_t n = patterns[i].size;
		unsigned char *p = pattern(n);

		fd = temp_file_with(p, n, path, sizeof(path));
		/* The fd's offset is at the end: ft_sha256_fd must not care. */
		is_int(0, ft_sha256_fd(fd, hex), "ft_sha256_fd on %zu bytes", n);
		is_string(patterns[i].sha256, hex, "...equals sha256sum's");
		digest(p, n, NULL, 0, hex);
		is_string(patterns[i].sha256, hex, "one update of %zu bytes", n);
		close(fd);
		unlink(path);
		free(p);
	}
	fd = temp_file_with(NULL, 0, path, sizeof(path));
	is_int(0, ft_sha256_fd(fd, hex), "ft_sha256_fd on an empty file");
	close(fd);
	unlink(path);
	is_string(vectors[0].sha256, hex, "...is the digest of nothing");
	is_int(-1, ft_sha256_fd(-1, hex), "ft_sha256_fd on a bad fd fails");
}

static void
check_incremental(void)
{
	static const size_t steps[][4] = {
		{ 1 }, { 3 }, { 63 }, { 64 }, { 65 }, { 4097 },
		{ 1, 64, 7, 100003 }, { 65536, 1, 55, 56 },
	};
	size_t n = 300007, i;
	unsigned char *p = pattern(n);
	char whole[FT_SHA256_HEX], pieces[FT_SHA256_HEX];

	digest(p, n, NULL, 0, whole);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t k = 0;
		while (k < 4 && steps[i][k])
			k++;
		digest(p, n, steps[i], k, pieces);
		is_string(whole, pieces, "%zu bytes in pieces of %zu%s", n,
		    steps[i][0], k > 1 ? ", ... (mixed)" : "");
	}
	free(p);
}

struct hex_case {
	const char *s;
	int valid;
};

static const struct hex_case hexes[] = {
	{ "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 1 },
	{ "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 0 },
	{ "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", 0 },
	{ "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", 0 },
	{ "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0 },
	{ " 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0 },
	{ "", 0 },
};

int
main(void)
{
	size_t i;

	check_vectors();
	check_files();
	check_incremental();
	for (i = 0; i < sizeof(hexes) / sizeof(hexes[0]); i++)
		is_int(hexes[i].valid, ft_sha256_valid_hex(hexes[i].s),
		    "ft_sha256_valid_hex case %zu is %s", i + 1,
		    hexes[i].valid ? "valid" : "refused");
	return done_testing();
}
