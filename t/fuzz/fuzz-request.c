/* fuzz-request.c: libFuzzer harness for the protocol's line parsers, the
 * first code that meets bytes from the network on both sides. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ft_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[2048];
	struct ft_request req;
	struct ft_offer offer;
	const char *why, *msg;
	uint64_t n;
	int code;

	/* The reader hands the parsers NUL-terminated lines of at most
	 * FT_LINE_MAX bytes; give them the same, and longer ones too. */
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ft_parse_request(line, &req, &why) == 0 && req.verb == FT_GET &&
	    req.file[0] != '\0' && !ft_name_valid(req.file))
		__builtin_trap();	/* an invalid name got through */
	if (ft_parse_offer(line, &offer) == 0 && offer.member > offer.group)
		__builtin_trap();
	ft_parse_error(line, &code, &msg);
	ft_parse_data(line, &n);
	ft_name_valid(line);
	return 0;
}
