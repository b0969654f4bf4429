/* ft_addr.h: the port of a socket address, IPv4 or IPv6 alike, so no
 * caller has to switch on the family itself. */
#ifndef FT_ADDR_H
#define FT_ADDR_H

#include <stdint.h>
#include "ft_sys.h"

/* The port, in host order. */
uint16_t ft_addr_port(const struct sockaddr_storage *a);
void ft_addr_set_port(struct sockaddr_storage *a, uint16_t port);
/* The length of the address proper, for sendto() and bind(). */
socklen_t ft_addr_len(const struct sockaddr_storage *a);
/* The port of a socket's own address (getsockname), 0 on error. */
uint16_t ft_local_port(int fd);

#endif
