/* unit-store.c: client/store.c, both ways of writing a copy aside (an
 * anonymous O_TMPFILE, and where a file system has none, a hidden name of
 * its own): publication under ClienteK-Prueba-N.txt that never replaces
 * anything (the next copy is -2, then -3), not even a planted symbolic
 * link; failed copies removed, or kept as -failed; for a named aside
 * file, a copy altered behind our back after verification is refused,
 * names left by other processes (the same pid in another container) are
 * passed by, not fatal, and never removed; both ways publish a copy with
 * the mode the umask gives a new file. */
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
	is_int(0, store_keep_failed(&c, STORE_KEEP_ALL), "%s: a failed copy "
	    "kept aside", mode);
	ok(holds("Cliente1-Prueba-1-failed.txt", "x"), "%s: as "
	    "Cliente1-Prueba-1-failed.txt", mode);
	write_x(&c);
	store_discard(&c);
	is_uint(3, entries(), "%s: a discarded copy leaves nothing", mode);
	is_uint(0, hidden(), "%s: no hidden aside file left either", mode);
}

/* store_nonce for the tests: 1, 1, 2, 3... or always 1. */
static uint64_t next_nonce;
static bool nonce_stuck;

static uint64_t
test_nonce(void)
{
	if (nonce_stuck)
		return 1;
	return next_nonce < 2 ? (next_nonce++, 1) : next_nonce++;
}

static void
plant(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) < 0)
		bail("plant %s: %s", name, strerror(errno));
	close(fd);
}

/* Names taken by others: a leftover of an earlier process of our pid
 * (ftclient is pid 1 in every container sharing an NFS folder) under the
 * old pid-based names, then random names that collide. */
static void
check_taken_aside_names(void)
{
	uint64_t (*nonce)(void) = store_nonce;
	char name[128], why[128];
	struct store st;
	unsigned i;

	store_named_aside = true;
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), ".Cliente1-Prueba-1.%d.%u.part",
		    (int)getpid(), i);
		plant(name);
	}
	is_int(0, store_open(&st, dir, 1, 1, 1, why, sizeof(why)),
	    "named aside: names of our pid left by others: opened all the same");
	store_discard(&st);
	store_nonce = test_nonce;
	plant(".Cliente1-Prueba-1.0000000000000001.part");
	is_int(0, store_open(&st, dir, 1, 1, 1, why, sizeof(why)),
	    "named aside: a random name taken: another one is tried");
	is_string(".Cliente1-Prueba-1.0000000000000002.part", st.part,
	    "...the next");
	store_discard(&st);
	nonce_stuck = true;
	is_int(-1, store_open(&st, dir, 1, 1, 1, why, sizeof(why)),
	    "named aside: every name tried is taken: store_open fails (bounded)");
	ok(strstr(why, "File exists") != NULL, "...saying why: %s", why);
	is_uint(65, hidden(), "...and the names others hold are all still there");
	store_nonce = nonce;
	store_named_aside = false;
	snprintf(name, sizeof(name), "rm -f %s/.C*", dir);
	if (system(name) != 0)
		bail("rm");
}

/* Every name from ClienteK-Prueba-N.txt to -999 taken: said when the
 * copy is reserved, before anything is received, not after. */
static void
check_names_exhausted(void)
{
	char name[128], why[256];
	struct store st;
	unsigned seq;

	plant("Cliente1-Prueba-1.txt");
	for (seq = 2; seq <= 999; seq++) {
		snprintf(name, sizeof(name), "Cliente1-Prueba-1-%u.txt", seq);
		plant(name);
	}
	is_int(-1, store_open(&st, dir, 1, 1, 1, why, sizeof(why)),
	    "names .txt to -999 all taken: store_open fails, before the transfer");
	ok(strstr(why, "no free name") != NULL, "...saying so: %s", why);
	is_uint(0, hidden(), "...leaving no aside file");
	snprintf(name, sizeof(name), "%s/Cliente1-Prueba-1-500.txt", dir);
	unlink(name);
	write_x(&st);
	plant("Cliente1-Prueba-1-500.txt");
	is_int(-1, store_commit(&st, sha_x), "the last one taken after the "
	    "reservation: not published");
	is_int(EEXIST, errno, "...EEXIST (the caller says no name was free)");
	store_discard(&st);
	unlink(name);
	write_x(&st);
	is_int(0, store_commit(&st, sha_x), "one name free again: published");
	ok(holds("Cliente1-Prueba-1-500.txt", "x"), "...there");
	snprintf(name, sizeof(name), "rm -f %s/C*", dir);
	if (system(name) != 0)
		bail("rm");
}

/* With umask 002 (Debian's user private groups), a copy is 0664 as any
 * file the user creates, whichever way it was written aside. */
static void
check_modes(void)
{
	const char *way[] = { "anonymous", "named aside" };
	mode_t old = umask(002);
	struct stat sb;
	struct store st;
	char mode[8];
	int named;

	for (named = 0; named <= 1; named++) {
		store_named_aside = named;
		write_x(&st);
		if (store_commit(&st, sha_x) < 0 || stat(st.final, &sb) < 0)
			bail("commit: %s", strerror(errno));
		snprintf(mode, sizeof(mode), "%03o", (unsigned)(sb.st_mode & 0777));
		is_string("664", mode, "%s: published with mode 664 under umask "
		    "002", way[named]);
		unlink(st.final);
	}
	store_named_aside = false;
	umask(old);
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

	check_taken_aside_names();
	check_names_exhausted();
	check_modes();
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
