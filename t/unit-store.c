/* unit-store.c: client/store.c, both ways of writing a copy aside (an
 * anonymous O_TMPFILE, and where a file system has none, a hidden name of
 * its own): publication under ClienteK-Prueba-N.txt that never replaces
 * anything (the next copy is -2, then -3), not even a planted symbolic
 * link; failed copies removed, or kept as -failed; and, for a named aside
 * file, a copy altered behind our back after verification is refused. */
#include "ftclient.h"
#include "ft_hash.h"
#include "ft_io.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft-unit-store.XXXXXX";
static char sha_x[FT_SHA256_HEX];

static unsigned
entries(void)
{
	char cmd[128];
	FILE *p;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", dir);	/* hidden: not counted */
	if ((p = popen(cmd, "r")) == NULL || fscanf(p, "%u", &n) != 1)
		bail("ls");
	pclose(p);
	return n;
}

static unsigned
hidden(void)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		bail("opendir");
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static bool
holds(const char *name, const char *want)
{
	char path[256], got[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(got, sizeof(got), f) == NULL)
		got[0] = '\0';
	fclose(f);
	return strcmp(got, want) == 0;
}

static void
write_x(struct store *st)
{
	char why[128];

	if (store_open(st, dir, 1, 1, 1, why, sizeof(why)) < 0)
		bail("store_open: %s", why);
	if (ft_pwrite_all(st->fd, "x", 1, 0) < 0)
		bail("write");
}

static void
check_mode(const char *mode)
{
	struct store a, b, c;

	write_x(&a);
	is_uint(0, entries(), "%s: while written, nothing has a name a "
	    "reader would take", mode);
	write_x(&b);
	is_int(0, store_commit(&a, sha_x), "%s: the first copy is published", mode);
	ok(holds("Cliente1-Prueba-1.txt", "x"), "%s: as Cliente1-Prueba-1.txt",
	    mode);
	is_int(0, store_commit(&b, sha_x), "%s: a second copy of that name...",
	    mode);
	ok(holds("Cliente1-Prueba-1-2.txt", "x"), "%s: ...is -2, the first "
	    "untouched", mode);
	write_x(&c);
	is_int(0, store_keep_failed(&c), "%s: a failed copy kept aside", mode);
	ok(holds("Cliente1-Prueba-1-failed.txt", "x"), "%s: as "
	    "Cliente1-Prueba-1-failed.txt", mode);
	write_x(&c);
	store_discard(&c);
	is_uint(3, entries(), "%s: a discarded copy leaves nothing", mode);
	is_uint(0, hidden(), "%s: no hidden aside file left either", mode);
}

int
main(void)
{
	struct store st;
	char path[256], cmd[300];
	int fd;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp: %s", strerror(errno));
	if (ft_sha256_fd(-1, sha_x) == 0)
		bail("hash of a bad fd");
	snprintf(path, sizeof(path), "%s/x", dir);
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) < 0 || write(fd, "x", 1) != 1 ||
	    ft_sha256_fd(fd, sha_x) < 0)
		bail("hash of x");
	close(fd);
	unlink(path);

	check_mode("anonymous");
	snprintf(cmd, sizeof(cmd), "rm -f %s/*", dir);
	if (system(cmd) != 0)
		bail("rm");
	store_named_aside = true;
	check_mode("named aside");

	/* A link planted at the final name is a name taken, never followed. */
	if (system(cmd) != 0)
		bail("rm");
	snprintf(path, sizeof(path), "%s/Cliente1-Prueba-1.txt", dir);
	if (symlink("/tmp/ft-unit-store-target", path) < 0)
		bail("symlink");
	write_x(&st);
	is_int(0, store_commit(&st, sha_x), "a link at the final name: published");
	ok(holds("Cliente1-Prueba-1-2.txt", "x"), "...as -2");
	ok(access("/tmp/ft-unit-store-target", F_OK) < 0,
	    "...and nothing was created where the link points");

	/* Named aside: altered by name after verification: refused. */
	write_x(&st);
	snprintf(path, sizeof(path), "%s/%s", dir, st.part);
	if ((fd = open(path, O_WRONLY)) < 0 || pwrite(fd, "y", 1, 0) != 1)
		bail("tamper: %s", strerror(errno));
	close(fd);
	is_int(-1, store_commit(&st, sha_x), "named aside altered after "
	    "verification: not published");
	is_int(EIO, errno, "...EIO");
	ok(access(st.final[0] ? st.final : "/nonexistent", F_OK) < 0,
	    "...and no final name is left");
	store_discard(&st);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
