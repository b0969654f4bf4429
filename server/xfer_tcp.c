/* xfer_tcp.c: the file over the control connection itself, with
 * sendfile(2), within two limits: no progress for the stall time, and
 * the whole transfer's deadline (a slow reader cannot hold a worker for
 * longer, whatever it does). */
#include "xfer.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <string.h>

static void
explain_send(const struct xfer_job *job, int rc, struct ft_xfer *x)
{
	unsigned long long got = x->bytes, size = job->file->size;

	if (rc == FT_IO_STALLED)
		ft_set_reason(x, "the client stopped reading for %d s after %llu "
		    "of %llu bytes", job->stall_s, got, size);
	else if (rc == FT_IO_LATE)
		ft_set_reason(x, "the transfer did not end within %d s (after "
		    "%llu of %llu bytes)", job->limit_s, got, size);
	else
		ft_set_reason(x, "%s after %llu of %llu bytes", strerror(errno),
		    got, size);
}

int
xfer_tcp_send(const struct xfer_job *job, struct ft_xfer *x,
    int64_t *first_ns)
{
	int rc;

	*first_ns = ft_mono_ns();
	if (xfer_send_data_line(job, x) < 0)
		return -1;
	*first_ns = ft_mono_ns();
	rc = ft_sendfile_all(job->tcp_fd, job->file->fd, job->file->size,
	    job->deadline_ns, (int64_t)job->stall_s * 1000000000, job->progress);
	x->bytes = *job->progress;
	if (rc != FT_IO_OK) {
		explain_send(job, rc, x);
		return -1;
	}
	return 0;
}
