/* store.c: where received files go. A file is written under a hidden
 * ".part" name and renamed to ClienteK-Prueba-N.txt only once it is
 * complete and verified, so a final name never shows half a file. */
#include "ftclient.h"
#include "ft_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
store_open(struct store *st, const char *dir, unsigned k, unsigned n,
    uint64_t size, char *why, size_t whylen)
{
	snprintf(st->final, sizeof(st->final), "%s/Cliente%u-Prueba-%u.txt",
	    dir, k, n);
	snprintf(st->part, sizeof(st->part), "%s/.Cliente%u-Prueba-%u.txt.part",
	    dir, k, n);
	/* Read-write: a UDP receiver hashes data that arrived out of order
	 * back from the file. */
	st->fd = open(st->part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (st->fd < 0) {
		snprintf(why, whylen, "cannot create %s: %s", st->part,
		    strerror(errno));
		return -1;
	}
	/* Reserve the space now: a full disk fails before the transfer
	 * instead of in the middle (file systems without it just go on). */
	if (size > 0 && fallocate(st->fd, 0, 0, (off_t)size) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS) {
		snprintf(why, whylen, "no room for %llu bytes in %s: %s",
		    (unsigned long long)size, dir, strerror(errno));
		store_discard(st);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	int rc = close(st->fd);

	st->fd = -1;
	if (rc < 0 || rename(st->part, st->final) < 0) {
		unlink(st->part);
		return -1;
	}
	return 0;
}

void
store_discard(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	unlink(st->part);
}
