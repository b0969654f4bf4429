/* fuzz-dgram.c: libFuzzer harness for the UDP datagram parsers, which
 * read whatever anyone sends to a worker's or a client's port. */
#include <stddef.h>
#include <stdint.h>

#include "ft_dgram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ft_dg_status st;
	struct ft_dg_header h;
	uint32_t total, tx;

	if (ft_dg_get_header(data, size, &h) < 0)
		return 0;
	if ((size_t)h.len + FT_DG_HEADER != size)
		__builtin_trap();	/* the length check let a lie through */
	if (h.type == FT_DG_FIN)
		ft_dg_get_fin(data, size, &total, &tx);
	if (h.type == FT_DG_STATUS && ft_dg_get_status(data, size, &st) == 0 &&
	    st.nranges > FT_DG_MAX_RANGES)
		__builtin_trap();
	return 0;
}
