/* catalogue.c: the files the server may send. The master lists the
 * folder at start and on SIGHUP; a worker serves a name only if it is in
 * that list, opens it relative to the folder without following symlinks,
 * and takes its SHA-256 from the shared cache (computed once per size and
 * mtime, by whichever worker needs it first). */
#include "ftserver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

static int
compare_names(const void *a, const void *b)
{
	return strcmp(((const struct ft_catalogue_entry *)a)->name,
	    ((const struct ft_catalogue_entry *)b)->name);
}

/* Lists regular files with valid names (symlinks are not followed). */
static unsigned
list_dir(int dirfd, struct ft_catalogue_entry *out, unsigned max)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	unsigned n = 0;
	int fd = dup(dirfd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && n < max) {
		if (!ft_name_valid(de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		strlcpy(out[n].name, de->d_name, sizeof(out[n].name));
		out[n].size = (uint64_t)st.st_size;
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), compare_names);
	return n;
}

int
catalogue_scan(struct server *s)
{
	static struct ft_catalogue_entry fresh[FT_MAX_FILES];
	unsigned n = list_dir(s->files_dirfd, fresh, FT_MAX_FILES);

	ft_shm_lock(&s->shm->lock);
	memcpy(s->shm->catalogue, fresh, n * sizeof(fresh[0]));
	s->shm->catalogue_count = n;
	ft_shm_unlock(&s->shm->lock);
	return (int)n;
}

/* Caller holds shm->lock. */
bool
catalogue_contains(struct ft_shm *shm, const char *name)
{
	unsigned i;

	for (i = 0; i < shm->catalogue_count; i++)
		if (strcmp(shm->catalogue[i].name, name) == 0)
			return true;
	return false;
}

/* Looks the hash up in the cache or computes it; under hash_lock so a
 * file is hashed once even when 25 workers ask for it together. */
static int
cached_sha256(struct server *s, const char *name, int fd,
    const struct stat *st, char sha[FT_SHA256_HEX])
{
	struct ft_hash_entry *e, *victim = NULL;
	int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	int rc = 0, i;

	ft_shm_lock(&s->shm->hash_lock);
	for (i = 0; i < FT_MAX_FILES; i++) {
		e = &s->shm->hash_cache[i];
		if (strcmp(e->name, name) == 0) {
			victim = e;
			break;
		}
		if (victim == NULL && e->name[0] == '\0')
			victim = e;
	}
	if (victim == NULL)
		victim = &s->shm->hash_cache[(unsigned)fd % FT_MAX_FILES];
	if (strcmp(victim->name, name) == 0 &&
	    victim->size == (uint64_t)st->st_size && victim->mtime_ns == mtime) {
		memcpy(sha, victim->sha256, FT_SHA256_HEX);
	} else if ((rc = ft_sha256_fd(fd, sha)) == 0) {
		strlcpy(victim->name, name, sizeof(victim->name));
		victim->size = (uint64_t)st->st_size;
		victim->mtime_ns = mtime;
		memcpy(victim->sha256, sha, FT_SHA256_HEX);
	}
	ft_shm_unlock(&s->shm->hash_lock);
	return rc;
}

int
catalogue_open(struct server *s, const char *name, struct served_file *f,
    char *why, size_t whylen)
{
	struct stat st;
	bool listed;

	if (!ft_name_valid(name))
		return snprintf(why, whylen, "invalid file name"),
		    FT_ERR_BAD_NAME;
	ft_shm_lock(&s->shm->lock);
	listed = catalogue_contains(s->shm, name);
	ft_shm_unlock(&s->shm->lock);
	if (!listed)
		return snprintf(why, whylen, "no such file in the catalogue: %s",
		    name), FT_ERR_NO_FILE;
	f->fd = openat(s->files_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "cannot open %s: %s", name,
		    f->fd < 0 ? strerror(errno) : "not a regular file");
		goto fail;
	}
	if (cached_sha256(s, name, f->fd, &st, f->sha256) < 0) {
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
	return FT_ERR_NO_FILE;
}

void
catalogue_print(struct server *s, FILE *out)
{
	struct ft_shm *shm = s->shm;
	unsigned i;

	ft_shm_lock(&shm->lock);
	fprintf(out, "catalogue (%u files):\n", shm->catalogue_count);
	for (i = 0; i < shm->catalogue_count; i++)
		fprintf(out, "  %c %-40s %14llu bytes\n",
		    strcmp(shm->catalogue[i].name, shm->config.selected) == 0 ?
		    '*' : ' ', shm->catalogue[i].name,
		    (unsigned long long)shm->catalogue[i].size);
	ft_shm_unlock(&shm->lock);
}
