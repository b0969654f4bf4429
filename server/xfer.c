/* xfer.c: what the TCP and UDP transfers share: the DATA line that
 * starts them and the client's confirmation that ends them. */
#include "xfer.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <string.h>

int64_t
xfer_next_deadline(const struct xfer_job *job)
{
	int64_t stall = ft_deadline_ms(job->stall_s * 1000);

	return stall < job->deadline_ns ? stall : job->deadline_ns;
}

int
xfer_send_data_line(const struct xfer_job *job, struct ft_xfer *x)
{
	/* The release time goes with it: the client's log is then dated
	 * like ours, and the two pair. */
	if (ft_send_line(job->tcp_fd, xfer_next_deadline(job), "DATA %llu "
	    "start=%lld.%09ld\n", (unsigned long long)job->file->size,
	    (long long)job->start.tv_sec, job->start.tv_nsec) == 0)
		return 0;
	ft_set_reason(x, "the client disconnected at the start: %s",
	    strerror(errno));
	return -1;
}

int
xfer_confirm(const struct xfer_job *job, uint64_t sent, uint64_t acked,
    struct ft_xfer *x)
{
	const struct served_file *f = job->file;
	char line[FT_LINE_MAX + 1];
	struct ft_request req;
	const char *why;
	int rc;

	rc = ft_read_line(job->in, line, xfer_next_deadline(job), NULL);
	if (rc == FT_LINE_TIMEOUT && ft_mono_ns() >= job->deadline_ns) {
		ft_set_reason(x, "the transfer did not end within %d s (no "
		    "confirmation from the client)", job->limit_s);
		return -1;
	}
	if (rc != FT_LINE_OK) {
		ft_set_reason(x, "no confirmation from the client: %s",
		    ft_line_problem(rc, "the client disconnected"));
		return -1;
	}
	if (ft_parse_request(line, &req, &why) < 0 || req.verb != FT_DONE) {
		ft_set_reason(x, "bad confirmation from the client");
		ft_send_line(job->tcp_fd, xfer_next_deadline(job), "BYE mismatch\n");
		return -1;
	}
	if (sent != f->size)
		ft_set_reason(x, "the client confirmed after %llu of %llu bytes "
		    "were sent", (unsigned long long)sent,
		    (unsigned long long)f->size);
	else if (req.bytes != f->size)
		ft_set_reason(x, "the client received %llu of %llu bytes",
		    (unsigned long long)req.bytes, (unsigned long long)f->size);
	else if (acked != f->size)
		ft_set_reason(x, "the client's reports acknowledge %llu of %llu "
		    "bytes", (unsigned long long)acked,
		    (unsigned long long)f->size);
	else if (strcmp(req.sha256, f->sha256) != 0)
		ft_set_reason(x, "the client's SHA-256 differs");
	else
		x->ok = 1;
	/* The verdict is informative for the client; the log has ours. */
	if (ft_send_line(job->tcp_fd, xfer_next_deadline(job), "BYE %s\n",
	    x->ok ? "ok" : "mismatch") < 0 && x->ok)
		return 0;
	return x->ok ? 0 : -1;
}
