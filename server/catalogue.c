/* catalogue.c: listing the files folder, and opening a file in it. Each
 * process keeps its own handle on the folder; the segment holds the
 * identity (device, inode) of the folder the master last listed, and a
 * process whose handle is another folder opens the path again. */
#include "catalogue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ft_time.h"

static int folder_fd = -1;
static dev_t folder_dev;
static ino_t folder_ino;

static int
open_folder(const struct ft_conf *conf)
{
	struct stat st;
	int fd = open(conf->files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (folder_fd >= 0)
		close(folder_fd);
	folder_fd = fd;
	folder_dev = st.st_dev;
	folder_ino = st.st_ino;
	return 0;
}

/* Keeps out[] the n smallest names seen so far, sorted, at most max. */
static void
keep_smallest(struct ft_catalogue_entry *out, unsigned *n, unsigned max,
    const char *name, uint64_t size)
{
	unsigned lo = 0, hi = *n;

	if (*n == max && strcmp(name, out[max - 1].name) >= 0)
		return;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (strcmp(out[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n < max)
		(*n)++;
	memmove(&out[lo + 1], &out[lo], (*n - 1 - lo) * sizeof(out[0]));
	strlcpy(out[lo].name, name, sizeof(out[lo].name));
	out[lo].size = size;
}

/* Regular files with valid names (symlinks are not followed). */
static unsigned
list_folder(struct ft_catalogue_entry *out, unsigned max, unsigned *found)
{
	struct dirent *de;
	struct stat st;
	unsigned n = 0;
	int fd = dup(folder_fd);
	DIR *d;

	*found = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!ft_name_valid(de->d_name) ||
		    fstatat(folder_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		(*found)++;
		keep_smallest(out, &n, max, de->d_name, (uint64_t)st.st_size);
	}
	closedir(d);
	return n;
}

int
catalogue_scan(struct ft_shm *shm, const struct ft_conf *conf,
    unsigned *found)
{
	static struct ft_catalogue_entry fresh[FT_MAX_FILES];
	int opened = open_folder(conf), saved = errno;
	unsigned n = opened < 0 ? (*found = 0) : list_folder(fresh,
	    FT_MAX_FILES, found);

	ft_shm_lock(&shm->lock);
	memcpy(shm->catalogue, fresh, n * sizeof(fresh[0]));
	shm->catalogue_count = n;
	shm->catalogue_dev = opened < 0 ? 0 : (uint64_t)folder_dev;
	shm->catalogue_ino = opened < 0 ? 0 : (uint64_t)folder_ino;
	ft_shm_unlock(&shm->lock);
	errno = saved;
	return opened < 0 ? -1 : (int)n;
}

bool
catalogue_contains(struct ft_shm *shm, const char *name)
{
	unsigned i;

	for (i = 0; i < shm->catalogue_count; i++)
		if (strcmp(shm->catalogue[i].name, name) == 0)
			return true;
	return false;
}

/* The hash cache (ft_shm.h): the lock is held to look up or claim an
 * entry, never while hashing, so a large file's first hash holds up only
 * the GETs for that same file, which wait for it rather than hash it
 * again. */
#define HASH_WAIT_STEP_US 10000

enum lookup { FOUND, CLAIMED, WAIT, FULL };

static bool
same_key(const struct ft_hash_entry *e, const char *name, uint64_t size,
    int64_t mtime)
{
	return strcmp(e->name, name) == 0 && e->size == size &&
	    e->mtime_ns == mtime;
}

/* A hasher that died (killed mid-hash) leaves its claim behind. */
static bool
hasher_alive(pid_t pid)
{
	return pid != 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Under hash_lock: the entry for the key, or one to claim for it. */
static enum lookup
lookup_locked(struct ft_shm *shm, const char *name, uint64_t size,
    int64_t mtime, char sha[FT_SHA256_HEX], struct ft_hash_entry **claim)
{
	struct ft_hash_entry *e, *spare = NULL;
	int i;

	for (i = 0; i < FT_MAX_FILES; i++) {
		e = &shm->hash_cache[i];
		bool busy = hasher_alive(e->hashing_by);
		if (strcmp(e->name, name) == 0 && !busy) {
			spare = e;	/* this name's entry, stale or not */
			if (e->valid && same_key(e, name, size, mtime)) {
				memcpy(sha, e->sha256, FT_SHA256_HEX);
				return FOUND;
			}
			break;
		}
		if (strcmp(e->name, name) == 0 && same_key(e, name, size, mtime))
			return WAIT;	/* being hashed by another worker */
		if (spare == NULL && !busy && (e->name[0] == '\0' || !e->valid))
			spare = e;
	}
	for (i = 0; spare == NULL && i < FT_MAX_FILES; i++)
		if (!hasher_alive(shm->hash_cache[i].hashing_by))
			spare = &shm->hash_cache[i];
	if (spare == NULL)
		return FULL;
	spare->valid = 0;	/* the key first, the hash later, valid last */
	strlcpy(spare->name, name, sizeof(spare->name));
	spare->size = size;
	spare->mtime_ns = mtime;
	spare->hashing_by = getpid();
	*claim = spare;
	return CLAIMED;
}

static int
cached_sha256(struct ft_shm *shm, const char *name, int fd,
    const struct stat *st, int64_t deadline, volatile sig_atomic_t *stop,
    char sha[FT_SHA256_HEX])
{
	struct ft_hash_entry *e = NULL;
	uint64_t size = (uint64_t)st->st_size;
	int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	enum lookup found;
	int rc;

	for (;;) {
		ft_shm_lock(&shm->hash_lock);
		found = lookup_locked(shm, name, size, mtime, sha, &e);
		ft_shm_unlock(&shm->hash_lock);
		if (found == FOUND)
			return 0;
		if (found == CLAIMED)
			break;
		if (ft_mono_ns() >= deadline || (stop != NULL && *stop)) {
			errno = found == WAIT ? EINPROGRESS : ENOSPC;
			return -1;
		}
		usleep(HASH_WAIT_STEP_US);
	}
	rc = ft_sha256_fd_size(fd, size, stop, sha);
	ft_shm_lock(&shm->hash_lock);
	if (e->hashing_by == getpid() && same_key(e, name, size, mtime)) {
		if (rc == 0) {
			memcpy(e->sha256, sha, FT_SHA256_HEX);
			e->valid = 1;
		}
		e->hashing_by = 0;
	}
	ft_shm_unlock(&shm->hash_lock);
	return rc;
}

/* Listed, and our folder handle is the folder that was listed. */
static int
check_listed(struct ft_shm *shm, const struct ft_conf *conf,
    const char *name, char *why, size_t whylen)
{
	uint64_t dev, ino;
	bool listed;

	ft_shm_lock(&shm->lock);
	listed = catalogue_contains(shm, name);
	dev = shm->catalogue_dev;
	ino = shm->catalogue_ino;
	ft_shm_unlock(&shm->lock);
	if (!listed)
		return snprintf(why, whylen, "no such file in the catalogue: %s",
		    name), FT_ERR_NO_FILE;
	if ((folder_fd < 0 || (uint64_t)folder_dev != dev ||
	    (uint64_t)folder_ino != ino) && open_folder(conf) < 0)
		return snprintf(why, whylen, "the files folder: %s",
		    strerror(errno)), FT_ERR_NO_FILE;
	if ((uint64_t)folder_dev != dev || (uint64_t)folder_ino != ino)
		return snprintf(why, whylen, "the files folder changed since it "
		    "was listed; the server rescans it on SIGHUP"), FT_ERR_NO_FILE;
	return 0;
}

int
catalogue_open(struct ft_shm *shm, const struct ft_conf *conf,
    const char *name, volatile sig_atomic_t *stop, struct served_file *f,
    char *why, size_t whylen)
{
	struct stat st;
	int rc;

	f->fd = -1;
	if (!ft_name_valid(name))
		return snprintf(why, whylen, "invalid file name"), FT_ERR_BAD_NAME;
	if ((rc = check_listed(shm, conf, name, why, whylen)) != 0)
		return rc;
	/* O_NONBLOCK: a FIFO swapped in under a listed name must not hold
	 * the worker in open(2); only a regular file goes on. */
	f->fd = openat(folder_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "cannot open %s: %s", name,
		    f->fd < 0 ? strerror(errno) : "not a regular file");
		goto fail;
	}
	if (cached_sha256(shm, name, f->fd, &st, ft_deadline_ms(
	    conf->idle_timeout_s * 1000), stop, f->sha256) < 0) {
		if (errno == EINPROGRESS || errno == ENOSPC) {
			snprintf(why, whylen, "busy: %s is being hashed; ask again "
			    "shortly", name);
			rc = FT_ERR_BUSY;
		} else
			snprintf(why, whylen, "cannot read %s: %s", name,
			    strerror(errno));
		goto fail;
	}
	strlcpy(f->name, name, sizeof(f->name));
	f->size = (uint64_t)st.st_size;
	return 0;
fail:
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	return rc != 0 ? rc : FT_ERR_NO_FILE;
}

char *
catalogue_text(struct ft_shm *shm)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	unsigned i;

	if (out == NULL)
		return NULL;
	ft_shm_lock(&shm->lock);
	fprintf(out, "catalogue (%u files):\n", shm->catalogue_count);
	for (i = 0; i < shm->catalogue_count; i++)
		fprintf(out, "  %c %-40s %14llu bytes\n",
		    strcmp(shm->catalogue[i].name, shm->config.selected) == 0 ?
		    '*' : ' ', shm->catalogue[i].name,
		    (unsigned long long)shm->catalogue[i].size);
	ft_shm_unlock(&shm->lock);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
