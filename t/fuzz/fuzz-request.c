/* fuzz-request.c: libFuzzer harness for the protocol's line parsers, the
 * first code that meets bytes from the network on both sides: requests,
 * offers, errors, DATA, the greeting and QUEUED. */
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
	struct ft_greeting greeting;
	struct ft_queued queued;
	struct ft_data d;
	const char *why, *msg;
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
	if (ft_parse_data(line, &d) == 0 && (d.start.tv_nsec < 0 ||
	    d.start.tv_nsec > 999999999))
		__builtin_trap();
	ft_parse_greeting(line, &greeting);
	ft_parse_queued(line, &queued);
	ft_name_valid(line);
	return 0;
}
