/* unit-sys.c: the POSIX platform layer (common/ft_sys_posix.c), the
 * contract ft_sys.h states and the Windows implementation must keep too:
 * creating a new name never follows or replaces anything, a rename never
 * replaces, a name is taken even by a dangling link, a reservation sets
 * the size, positional vectored writes land at their offset, an
 * anonymous file is published by a link that never replaces; UDP batch
 * reads return what is waiting (a datagram too large is flagged
 * truncated, the sender's address and the kernel's stamp are there) and
 * never block; socket errors are errno values with glibc's words; a
 * receive timeout is EAGAIN. */
#include "ft_sys.h"
#include "ft_addr.h"
#include "ft_hash.h"
#include "ft_time.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ft-unit-sys.XXXXXX";
static int dirfd_;

static char *
at(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static off_t
size_at(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0 ? st.st_size : -1;
}

static void
check_create_new(void)
{
	int fd = ft_create_new(dirfd_, dir, "a");

	ok(fd >= 0, "ft_create_new: a new name is created");
	ok(write(fd, "abc", 3) == 3, "...open for writing");
	close(fd);
	errno = 0;
	is_int(-1, ft_create_new(dirfd_, dir, "a"), "...a taken name is refused");
	is_int(EEXIST, errno, "...with EEXIST");
	char target[256];

	snprintf(target, sizeof(target), "%s", at("target"));
	if (symlink(target, at("link")) < 0)
		bail("symlink");
	errno = 0;
	is_int(-1, ft_create_new(dirfd_, dir, "link"),
	    "...a planted link is a taken name, never followed");
	is_int(EEXIST, errno, "...EEXIST");
	ok(access(at("target"), F_OK) < 0, "...its target was not created");
	ok(ft_name_taken(dirfd_, dir, "a"), "ft_name_taken: a file");
	ok(ft_name_taken(dirfd_, dir, "link"), "ft_name_taken: a dangling link");
	ok(!ft_name_taken(dirfd_, dir, "nothing"), "ft_name_taken: no such name");
}

static void
check_rename(void)
{
	int fd = ft_create_new(dirfd_, dir, "b");

	close(fd);
	errno = 0;
	is_int(-1, ft_rename_noreplace(dirfd_, dir, "b", "a"),
	    "ft_rename_noreplace: onto a taken name fails");
	is_int(EEXIST, errno, "...EEXIST");
	is_int(3, size_at("a"), "...and the file there is untouched");
	is_int(0, size_at("b"), "...and the source stays");
	is_int(0, ft_rename_noreplace(dirfd_, dir, "b", "c"),
	    "ft_rename_noreplace: onto a free name");
	ok(size_at("b") < 0 && size_at("c") == 0, "...the file moved");
	is_int(0, ft_unlink_at(dirfd_, dir, "c"), "ft_unlink_at");
	ok(!ft_name_taken(dirfd_, dir, "c"), "...the name is free again");
}

static void
check_file_io(void)
{
	int fd = ft_create_new(dirfd_, dir, "io");
	struct iovec iov[2] = { { "hello ", 6 }, { "world", 5 } };
	char buf[16] = "";

	is_int(0, ft_reserve(fd, 100000), "ft_reserve: 100000 bytes");
	is_int(100000, size_at("io"), "...the size is the reservation's");
	is_int(11, ft_pwritev(fd, iov, 2, 5000), "ft_pwritev: both buffers");
	is_int(11, ft_pread(fd, buf, 11, 5000), "ft_pread: read back");
	is_string("hello world", buf, "...at the offset written");
	is_int(6, ft_pwrite(fd, "HELLO!", 6, 5000), "ft_pwrite");
	is_int(0, ft_pread(fd, buf, 4, 200000), "ft_pread past the end: 0");
	is_int(0, ft_truncate(fd, 5006), "ft_truncate");
	is_int(5006, size_at("io"), "...cuts the file");
	is_int(0, ft_sync(fd), "ft_sync");
	close(fd);
	ft_unlink_at(dirfd_, dir, "io");
}

static void
check_anonymous(void)
{
	int fd = ft_open_anonymous(dirfd_);

	if (fd < 0) {
		is_int(EOPNOTSUPP, errno, "ft_open_anonymous: unsupported here, "
		    "EOPNOTSUPP (the store names its file)");
		skip(3, "no anonymous files here");
		return;
	}
	ok(write(fd, "xyz", 3) == 3, "ft_open_anonymous: a file to write");
	errno = 0;
	is_int(-1, ft_link_anonymous(fd, dirfd_, "a"),
	    "ft_link_anonymous: onto a taken name fails (EEXIST)");
	is_int(3, size_at("a"), "...the file there is untouched");
	is_int(0, ft_link_anonymous(fd, dirfd_, "anon"),
	    "ft_link_anonymous: onto a free name");
	close(fd);
	ft_unlink_at(dirfd_, dir, "anon");
}

static void
check_udp(void)
{
	struct sockaddr_storage lo = { 0 }, me;
	struct sockaddr_in *in = (struct sockaddr_in *)&lo;
	socklen_t len = sizeof(me);
	uint32_t asked, got;
	bool gro;
	uint8_t big[3000], bufs[3][1500];
	struct ft_udp_read r[3];
	struct ft_udp_batch *b = ft_udp_batch_new(3);
	int64_t before = (int64_t)ft_wall_now().tv_sec * 1000000000;
	int rx, tx, n, i;

	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = ft_udp_open(&lo, &asked, &got, &gro);
	tx = ft_udp_open(&lo, &asked, &got, &gro);
	ok(rx >= 0 && tx >= 0 && b != NULL, "ft_udp_open: two loopback sockets");
	ok(asked > 0 && got > 0, "...receive buffer asked and got");
	if (getsockname(rx, (struct sockaddr *)&me, &len) < 0)
		bail("getsockname");
	for (i = 0; i < 3; i++)
		r[i] = (struct ft_udp_read){ .buf = bufs[i], .cap = sizeof(bufs[i]) };
	is_int(0, ft_udp_read_batch(rx, b, r, 3), "ft_udp_read_batch: nothing "
	    "waiting, 0 at once");
	memset(big, 'x', sizeof(big));
	ft_sendto(tx, "one", 3, &me);
	ft_sendto(tx, big, sizeof(big), &me);
	usleep(20000);
	n = ft_udp_read_batch(rx, b, r, 3);
	is_int(2, n, "...two datagrams waiting, two read");
	is_int(3, (long long)r[0].len, "...the first whole");
	ok(memcmp(r[0].buf, "one", 3) == 0, "...its bytes");
	ok(!r[0].truncated && r[1].truncated, "...the one larger than the "
	    "buffer flagged truncated");
	is_int(ft_local_port(tx), ntohs(((struct sockaddr_in *)&r[0].from)->sin_port),
	    "...the sender's port");
	ok(r[0].stamp_ns == 0 || r[0].stamp_ns >= before,
	    "...the kernel's stamp, when there is one, is the wall clock's");
	ft_udp_batch_free(b);
	ft_sock_close(rx);
	ft_sock_close(tx);
}

static void
check_socket_errors(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = ft_socket(AF_INET, SOCK_STREAM), c, s;
	char buf[4];

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		bail("socket");
	/* Bound, not listening: a connect there is refused. */
	c = ft_socket(AF_INET, SOCK_STREAM);
	errno = 0;
	is_int(-1, ft_connect(c, (struct sockaddr *)&a, sizeof(a)),
	    "ft_connect to a port nobody listens on fails");
	is_int(ECONNREFUSED, errno, "...ECONNREFUSED");
	is_string("Connection refused", ft_strerror(errno), "...named as glibc does");
	ft_sock_close(c);
	if (listen(l, 1) < 0)
		bail("listen");
	c = ft_socket(AF_INET, SOCK_STREAM);
	if (ft_connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (s = accept(l, NULL, NULL)) < 0)
		bail("connect");
	is_int(0, ft_set_recv_timeout(c, 1), "ft_set_recv_timeout: 1 s");
	errno = 0;
	is_int(-1, ft_recv(c, buf, sizeof(buf), 0), "...a silent peer: the "
	    "receive gives up");
	is_int(EAGAIN, errno, "...with EAGAIN");
	is_int(2, ft_send_nowait(s, "ok", 2), "ft_send_nowait");
	is_int(2, ft_recv_nowait(c, buf, sizeof(buf)), "ft_recv_nowait");
	ft_sock_close(s);
	ft_sock_close(c);
	ft_sock_close(l);
}

static void
check_misc(void)
{
	uint64_t x = 0, y = 0;
	struct ft_sha256 *h = ft_sha256_new();
	char hex[FT_SHA256_HEX];

	ok(ft_is_path_sep('/') && !ft_is_path_sep('\\'),
	    "ft_is_path_sep: '/' only (a backslash is a file name's)");
	ok(ft_random(&x, sizeof(x)) == 0 && ft_random(&y, sizeof(y)) == 0 &&
	    x != y, "ft_random: two draws differ");
	ok(h != NULL && ft_sha256_update(h, "abc", 3) == 0 &&
	    ft_sha256_final(h, hex) == 0, "SHA-256 of \"abc\"");
	is_string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    hex, "...the FIPS 180-2 value");
	is_int(0, ft_sys_init(), "ft_sys_init");
}

int
main(void)
{
	char cmd[64];

	if (mkdtemp(dir) == NULL || (dirfd_ = ft_dir_open(dir)) < 0)
		bail("mkdtemp");
	check_create_new();
	check_rename();
	check_file_io();
	check_anonymous();
	check_udp();
	check_socket_errors();
	check_misc();
	ft_dir_close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
