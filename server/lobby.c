/* lobby.c: the master's answer when every worker is busy.
 *
 * A connection that finds no worker in accept() waits, unanswered, in the
 * listen queue for as long as the tests holding the workers last: minutes
 * for a lab's 250 MB to 25 clients. So once the pool has had no idle
 * worker for LOBBY_AFTER_MS, the master takes new connections itself. It
 * sends the greeting, reads the request (LOBBY_READ_MS at most) and
 * answers as the scheduler would, without seating anyone: QUEUED with the
 * run's place (the run asks again and is seated in its turn), or ERR 503
 * busy; then it closes. Everything is non-blocking: the master never
 * waits on a client. At most LOBBY_MAX connections wait for their request
 * here; more are told busy and closed at once. */
#include "lobby.h"
#include "catalogue.h"
#include "sched.h"

#include "ft_addr.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bsd/string.h>

#define LOBBY_AFTER_MS 200
#define LOBBY_READ_MS 1000
#define LOBBY_MAX 32
#define BUSY_LINE "ERR 503 busy: every worker is busy; ask again\n"

struct pending {
	int fd;				/* -1: free */
	int64_t deadline;
	char ip[FT_ADDR_MAX];
	size_t len;
	char buf[FT_LINE_MAX + 2];
};

static struct pending pending[LOBBY_MAX];
static int64_t busy_since;		/* 0: a worker was idle at last look */

void
lobby_init(void)
{
	unsigned i;

	for (i = 0; i < LOBBY_MAX; i++)
		pending[i].fd = -1;
}

/* One line, now or never: the socket is non-blocking and the line
 * small, so a client that does not read loses it. */
static void
say(int fd, const char *line)
{
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* Nobody to tell. */
	}
}

static void
finish(struct pending *p)
{
	close(p->fd);
	p->fd = -1;
}

static bool
taking_connections(const struct lobby *l, int64_t now)
{
	if (sched_idle_workers(l->shm, l->conf) > 0) {
		busy_since = 0;
		return false;
	}
	if (busy_since == 0)
		busy_since = now;
	return now - busy_since >= (int64_t)LOBBY_AFTER_MS * 1000000;
}

int
lobby_fill_poll(const struct lobby *l, struct pollfd *pfd, int max)
{
	int n = 0;
	unsigned i;

	if (max > 0 && taking_connections(l, ft_mono_ns()))
		pfd[n++] = (struct pollfd){ .fd = l->socks->listen_fd,
		    .events = POLLIN };
	for (i = 0; i < LOBBY_MAX && n < max; i++)
		if (pending[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = pending[i].fd,
			    .events = POLLIN };
	return n;
}

int
lobby_timeout_ms(void)
{
	int64_t now = ft_mono_ns(), next = 0;
	unsigned i;

	for (i = 0; i < LOBBY_MAX; i++)
		if (pending[i].fd >= 0 && (next == 0 || pending[i].deadline < next))
			next = pending[i].deadline;
	if (next != 0)
		return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
	/* While the pool is busy, look again soon: the listening socket
	 * joins the poll only after LOBBY_AFTER_MS of it. */
	return busy_since != 0 ? LOBBY_AFTER_MS / 2 : -1;
}

static void
take_connection(const struct lobby *l)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct pending *p = NULL;
	char greeting[128];
	unsigned i;
	int fd;

	fd = accept4(l->socks->listen_fd, (struct sockaddr *)&peer, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;		/* a worker took it, or nothing there */
	__atomic_fetch_add(&l->shm->totals.connections, 1, __ATOMIC_RELAXED);
	snprintf(greeting, sizeof(greeting), "%s ftserver %s %s workers=%u\n",
	    FT_PROTO_TAG, FT_VERSION, ft_proto_name(l->conf->proto),
	    l->conf->workers);
	say(fd, greeting);
	for (i = 0; i < LOBBY_MAX && p == NULL; i++)
		if (pending[i].fd < 0)
			p = &pending[i];
	if (p == NULL) {
		ft_shm_count_refusal(l->shm, FT_ERR_BUSY);
		say(fd, BUSY_LINE);
		close(fd);
		return;
	}
	*p = (struct pending){ .fd = fd,
	    .deadline = ft_deadline_ms(LOBBY_READ_MS) };
	if (getnameinfo((struct sockaddr *)&peer, len, p->ip, sizeof(p->ip),
	    NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(p->ip, "?", sizeof(p->ip));
}

/* The answer to a whole request line. */
static void
answer(const struct lobby *l, struct pending *p)
{
	struct ft_request req;
	struct sched_verdict v;
	const char *why;
	char line[FT_LINE_MAX + 64];
	bool listed;

	if (ft_parse_request(p->buf, &req, &why) < 0 || req.verb != FT_GET ||
	    req.proto != l->conf->proto) {
		ft_shm_count_refusal(l->shm, FT_ERR_BUSY);
		say(p->fd, BUSY_LINE);
		return;
	}
	ft_shm_lock(&l->shm->lock);
	listed = req.file[0] == '\0' || catalogue_contains(l->shm, req.file);
	ft_shm_unlock(&l->shm->lock);
	if (!listed) {
		ft_shm_count_refusal(l->shm, FT_ERR_NO_FILE);
		snprintf(line, sizeof(line), "ERR %d no such file in the "
		    "catalogue: %s\n", FT_ERR_NO_FILE, req.file);
		say(p->fd, line);
		return;
	}
	sched_lobby_admit(l->shm, l->conf, &(struct sched_request){
	    .run = req.run, .group = req.group, .client = req.client,
	    .proto = req.proto, .client_ip = p->ip }, ft_mono_ns(), &v);
	if (v.answer == SCHED_QUEUED)
		snprintf(line, sizeof(line), "QUEUED ahead=%u need=%u free=%u\n",
		    v.ahead, v.need, v.free);
	else {
		ft_shm_count_refusal(l->shm, v.code);
		snprintf(line, sizeof(line), "ERR %d %s\n", v.code, v.why);
	}
	say(p->fd, line);
}

static void
read_request(const struct lobby *l, struct pending *p)
{
	char *nl;
	ssize_t n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len,
	    MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		finish(p);
		return;
	}
	p->len += (size_t)n;
	p->buf[p->len] = '\0';
	if ((nl = strchr(p->buf, '\n')) == NULL) {
		if (p->len >= sizeof(p->buf) - 1) {
			ft_shm_count_refusal(l->shm, FT_ERR_LINE);
			say(p->fd, "ERR 414 request line too long\n");
			finish(p);
		}
		return;
	}
	*nl = '\0';
	if (nl > p->buf && nl[-1] == '\r')
		nl[-1] = '\0';
	answer(l, p);
	finish(p);
}

void
lobby_handle(const struct lobby *l, const struct pollfd *pfd, int n)
{
	int64_t now = ft_mono_ns();
	unsigned i;
	int k;

	for (k = 0; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		if (pfd[k].fd == l->socks->listen_fd) {
			take_connection(l);
			continue;
		}
		for (i = 0; i < LOBBY_MAX; i++)
			if (pending[i].fd == pfd[k].fd)
				read_request(l, &pending[i]);
	}
	for (i = 0; i < LOBBY_MAX; i++)
		if (pending[i].fd >= 0 && now >= pending[i].deadline) {
			ft_shm_count_refusal(l->shm, FT_ERR_BUSY);
			say(pending[i].fd, BUSY_LINE);
			finish(&pending[i]);
		}
}

void
lobby_close_all(void)
{
	unsigned i;

	for (i = 0; i < LOBBY_MAX; i++)
		if (pending[i].fd >= 0)
			finish(&pending[i]);
}
