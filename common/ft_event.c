/* ft_event.c: the event log and stdout lines, never blocking. */
#include "ft_event.h"
#include "ft_text.h"
#include "ft_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

/* How a line reaches an output without blocking. */
enum how {
	HOW_WRITE,	/* a regular file: write(2) does not wait for a reader */
	HOW_NONBLOCK,	/* our own O_NONBLOCK description of a pipe or tty */
	HOW_POLL,	/* could not reopen: write only when poll says room */
	HOW_SEND,	/* a socket (the journal): send(MSG_DONTWAIT) */
};

static const char *prog = "ft";
static char who[32];
static struct ft_event_budget *budget, local_budget;
static enum how how_out[3];

/* A pipe or terminal gets an open file description of its own, with
 * O_NONBLOCK: setting the flag on the inherited one would change it for
 * the shell and every other process sharing it. */
static enum how
make_nonblocking(int fd)
{
	char path[32];
	struct stat st;
	int mine;

	if (fstat(fd, &st) < 0)
		return HOW_WRITE;
	if (S_ISSOCK(st.st_mode))
		return HOW_SEND;
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return HOW_WRITE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mine = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
	if (mine < 0)
		return HOW_POLL;
	if (dup2(mine, fd) < 0) {
		close(mine);
		return HOW_POLL;
	}
	close(mine);
	return HOW_NONBLOCK;
}

void
ft_event_setup(const char *name, struct ft_event_budget *shared)
{
	prog = name;
	budget = shared != NULL ? shared : &local_budget;
	how_out[STDOUT_FILENO] = make_nonblocking(STDOUT_FILENO);
	how_out[STDERR_FILENO] = make_nonblocking(STDERR_FILENO);
}

void
ft_event_who(const char *name)
{
	strlcpy(who, name, sizeof(who));
}

/* One whole line (at most PIPE_BUF bytes, so a pipe takes it whole or
 * not at all), or nothing. */
static void
put_line(int fd, const char *line, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	if (len > PIPE_BUF)
		len = PIPE_BUF;
	if (how_out[fd] == HOW_POLL && poll(&p, 1, 0) != 1)
		n = -1;
	else if (how_out[fd] == HOW_SEND)
		n = send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		do
			n = write(fd, line, len);
		while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len && budget != NULL)
		__atomic_fetch_add(&budget->blocked, 1, __ATOMIC_RELAXED);
}

/* Each line of text separately, so none is torn by a full pipe. */
static void
put_lines(int fd, const char *text)
{
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
		put_line(fd, text, len);
		text += len;
	}
}

/* Info lines: FT_EVENT_RATE a second across the processes. The
 * first to see a new second opens it and reports what the last one had
 * to suppress. Races only blur the count by a line or two. */
static bool
within_budget(void)
{
	int64_t now = ft_mono_ns() / 1000000000, then;
	uint32_t missed;

	then = __atomic_load_n(&budget->second, __ATOMIC_RELAXED);
	if (then != now && __atomic_compare_exchange_n(&budget->second, &then,
	    now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_store_n(&budget->used, 0, __ATOMIC_RELAXED);
		missed = __atomic_exchange_n(&budget->suppressed, 0,
		    __ATOMIC_RELAXED);
		if (missed > 0) {
			char line[160];
			snprintf(line, sizeof(line), "%s: %s: %u messages "
			    "suppressed (more than %d a second)\n", prog, who,
			    missed, FT_EVENT_RATE);
			put_line(STDERR_FILENO, line, strlen(line));
		}
	}
	if (__atomic_fetch_add(&budget->used, 1, __ATOMIC_RELAXED) <
	    FT_EVENT_RATE)
		return true;
	__atomic_fetch_add(&budget->suppressed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&budget->over_rate, 1, __ATOMIC_RELAXED);
	return false;
}

void
ft_event(enum ft_severity sev, const char *func, const char *fmt, ...)
{
	static const char *label[] = { "error: ", "warning: ", "", "" };
	char line[1200], raw[900], msg[1000];
	va_list ap;

	if (budget == NULL)
		budget = &local_budget;
	if (sev == FT_SEV_INFO && !within_budget())
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ft_text_escape(msg, sizeof(msg), raw);	/* one line, nothing raw */
	snprintf(line, sizeof(line), "%s: %s%s%s%s%s%s\n", prog, who,
	    who[0] ? ": " : "", label[sev], func ? func : "", func ? ": " : "",
	    msg);
	put_line(STDERR_FILENO, line, strlen(line));
}

void
ft_out(const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put_lines(STDOUT_FILENO, text);
	free(text);
}

void
ft_event_dropped(uint64_t *over_rate, uint64_t *blocked)
{
	struct ft_event_budget *b = budget != NULL ? budget : &local_budget;

	*over_rate = __atomic_load_n(&b->over_rate, __ATOMIC_RELAXED);
	*blocked = __atomic_load_n(&b->blocked, __ATOMIC_RELAXED);
}
