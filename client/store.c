/* store.c: where received files go, and the rules that make a copy
 * reported verified exactly the verified bytes, whatever else shares the
 * output folder:
 * - The copy is written to a file of its own that no other process can
 *   open by name: an anonymous file in the output folder (O_TMPFILE), or
 *   where the file system has none (or there is no /proc to name it
 *   through), a hidden name with a random part, created O_EXCL|O_NOFOLLOW
 *   (a name taken, even by a planted link, is another try, never
 *   followed). Either way with the mode the umask gives any new file.
 * - It gets its final name only once complete and verified, by linkat(2)
 *   (or renameat2 RENAME_NOREPLACE), which never replaces anything: when
 *   ClienteK-Prueba-N.txt exists (another run's copy, a link, anything),
 *   the copy is ClienteK-Prueba-N-2.txt, then -3, as logs are numbered.
 * - A copy that failed is removed, or with --keep-failed published the
 *   same way as ClienteK-Prueba-N-failed.txt for inspection.
 * The calls themselves are the platform's (ft_sys.h): on Windows there is
 * no anonymous file, the aside file is created hidden (CREATE_NEW) and
 * published by MoveFileExW without MOVEFILE_REPLACE_EXISTING, which never
 * replaces either. */
#include "ftclient.h"
#include "ft_hash.h"
#include "ft_io.h"
#include "ft_sys.h"
#include "ft_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_SEQ 1000	/* ClienteK-Prueba-N-999.txt at most */
#define ASIDE_TRIES 16	/* random names all taken: something else is wrong */

static uint64_t random_nonce(void);

bool store_named_aside;		/* tests: as if there were no O_TMPFILE */
uint64_t (*store_nonce)(void) = random_nonce;	/* tests: chosen names */

/* The random part of an aside name. Without the kernel's randomness
 * (never, past early boot), the clock and a counter still make names
 * that another try will pass by. */
static uint64_t
random_nonce(void)
{
	static unsigned counter;
	uint64_t n;

	if (ft_random(&n, sizeof(n)) == 0)
		return n;
	return (uint64_t)ft_mono_ns() ^ ((uint64_t)getpid() << 40) ^
	    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
}

/* A hidden name of its own. Not from the pid: ftclient is pid 1 in every
 * container sharing a folder, and a name left by a killed run must not
 * stop this one. A name taken is another try; it is someone else's, so
 * st->part is cleared and nothing ever removes it. */
static int
open_named_aside(struct store *st)
{
	int i;

	for (i = 0; i < ASIDE_TRIES; i++) {
		snprintf(st->part, sizeof(st->part), ".%s.%016llx.part",
		    st->stem, (unsigned long long)store_nonce());
		st->fd = ft_create_new(st->dirfd, st->dir, st->part);
		if (st->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	st->part[0] = '\0';
	return -1;
}

/* The aside file: anonymous if the file system can and it can be named
 * later, else a unique name. */
static int
open_aside(struct store *st)
{
	if (!store_named_aside) {
		st->fd = ft_open_anonymous(st->dirfd);
		if (st->fd >= 0) {
			st->part[0] = '\0';
			return 0;
		}
		if (errno != EOPNOTSUPP)
			return -1;
	}
	return open_named_aside(st);
}

static void
final_name(char *buf, size_t len, const struct store *st, const char *suffix,
    unsigned seq)
{
	if (seq == 1)
		snprintf(buf, len, "%s%s.txt", st->stem, suffix);
	else
		snprintf(buf, len, "%s%s-%u.txt", st->stem, suffix, seq);
}

/* Some name the copy could be published under is free now. Checked when
 * the copy is reserved: a folder where all are taken is said before the
 * transfer, not after a verified copy had nowhere to go. (Another run may
 * still take the last ones meanwhile: publish then fails, EEXIST.) */
static bool
name_free(const struct store *st)
{
	char name[sizeof(st->stem) + 32];
	unsigned seq;

	for (seq = 1; seq < MAX_SEQ; seq++) {
		final_name(name, sizeof(name), st, "", seq);
		if (!ft_name_taken(st->dirfd, st->dir, name))
			return true;
	}
	return false;
}

void
store_no_name(const struct store *st, char *why, size_t whylen)
{
	snprintf(why, whylen, "no free name for %s (.txt and -2 to -%d all "
	    "exist) in %s", st->stem, MAX_SEQ - 1, st->dir);
}

int
store_open(struct store *st, const char *dir, unsigned k, unsigned n,
    uint64_t size, char *why, size_t whylen)
{
	st->fd = -1;
	st->part[0] = st->final[0] = '\0';
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	snprintf(st->stem, sizeof(st->stem), "Cliente%u-Prueba-%u", k, n);
	st->dirfd = ft_dir_open(dir);
	if (st->dirfd < 0 || open_aside(st) < 0) {
		snprintf(why, whylen, "cannot create a file in %s: %s", dir,
		    ft_strerror(errno));
		store_discard(st);
		return -1;
	}
	if (!name_free(st)) {
		store_no_name(st, why, whylen);
		store_discard(st);
		return -1;
	}
	/* Reserve the space now: a full disk fails before the transfer
	 * instead of in the middle (file systems without it just go on). */
	if (size > 0 && ft_reserve(st->fd, size) < 0) {
		snprintf(why, whylen, "no room for %llu bytes in %s: %s",
		    (unsigned long long)size, dir, ft_strerror(errno));
		store_discard(st);
		return -1;
	}
	return 0;
}

/* Gives the aside file `name`, never replacing anything: 0, or -1 with
 * errno (EEXIST when the name is taken). */
static int
link_as(struct store *st, const char *name)
{
	if (st->part[0] == '\0')
		return ft_link_anonymous(st->fd, st->dirfd, name);
	if (ft_rename_noreplace(st->dirfd, st->dir, st->part, name) < 0)
		return -1;
	st->part[0] = '\0';
	return 0;
}

/* Publishes under stem + suffix + ".txt", or -2, -3... when taken. */
static int
publish(struct store *st, const char *suffix)
{
	char name[sizeof(st->stem) + 32];
	unsigned seq;

	for (seq = 1; seq < MAX_SEQ; seq++) {
		final_name(name, sizeof(name), st, suffix, seq);
		if (link_as(st, name) == 0) {
			snprintf(st->final, sizeof(st->final), "%s%c%s", st->dir,
			    FT_PATH_SEP, name);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int
store_commit(struct store *st, const char *sha256)
{
	char hex[FT_SHA256_HEX];
	bool named_aside = st->part[0] != '\0';

	if (ft_sync(st->fd) < 0 || publish(st, "") < 0)
		return -1;
	/* A named aside file could have been written by another process of
	 * this user: then what is under the final name is hashed again. */
	if (named_aside && (ft_sha256_fd(st->fd, hex) < 0 ||
	    strcmp(hex, sha256) != 0)) {
		ft_unlink_at(st->dirfd, st->dir, strrchr(st->final, FT_PATH_SEP)
		    + 1);
		st->final[0] = '\0';
		errno = EIO;
		return -1;
	}
	store_close(st);
	return 0;
}

int
store_keep_failed(struct store *st, uint64_t received)
{
	int rc = -1;

	/* Past what arrived is the reservation: zeros that were never
	 * received must not look like data. */
	if (received == STORE_KEEP_ALL || ft_truncate(st->fd, received) == 0)
		rc = publish(st, "-failed");
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	if (st->part[0] != '\0')
		ft_unlink_at(st->dirfd, st->dir, st->part);
	st->part[0] = '\0';
	ft_dir_close(st->dirfd);
	st->dirfd = -1;
}

void
store_discard(struct store *st)
{
	store_close(st);
}
