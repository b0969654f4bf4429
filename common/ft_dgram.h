/* ft_dgram.h: the UDP datagrams of a transfer, their layout and checks.
 *
 * Every datagram starts with a 20-byte header, all fields big-endian:
 *   0  u32 magic   "FTD2"
 *   4  u8  type    DATA, FIN (sender), STATUS or HELLO (receiver)
 *   5  u8  flags   DATA: FT_DG_RESENT on a repair
 *   6  u16 len     payload bytes after the header
 *   8  u32 xfer    transfer id, from the OK line; others are ignored
 *  12  u32 seq     DATA: datagram index; the payload lands at
 *                  seq * datagram_size in the file
 *  16  u32 tx      sender's transmission number, +1 per datagram sent
 *                  (repairs too), so the receiver can tell the sender how
 *                  far the stream got and how much of it was lost
 * FIN payload: u32 total datagrams, u32 next tx. It asks the receiver for
 * a STATUS at once; with FT_DG_END it also says the pass is over. As it
 * follows the data, its tx tells the receiver that every transmission
 * before it has arrived or is lost, so a lost window cannot stall.
 * STATUS payload: u64 secret, u32 max_tx seen, u32 transmissions
 * received, u32 unique datagrams received, u32 n, then n ranges (u32
 * first, u32 count) of missing datagrams, at most FT_DG_MAX_RANGES.
 * HELLO payload: u64 secret. The receiver speaks first: its HELLO, from
 * the socket the data must reach, tells the sender where to send (the
 * address a NAT or a firewall shows for it, which has a mapping or state
 * for the answer) and proves, with the secret given on the control
 * connection (OK's secret=, 64 random bits per transfer), that it is the
 * client; so does every STATUS. */
#ifndef FT_DGRAM_H
#define FT_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_DG_MAGIC	0x46544432u	/* "FTD2" */
#define FT_DG_HEADER	20
#define FT_DG_UDP_MAX	65507		/* largest UDP payload over IPv4 */
#define FT_DG_MIN	512
#define FT_DG_MAX	(FT_DG_UDP_MAX - FT_DG_HEADER)
#define FT_DG_AUTO_MAX	32768	/* README: "Choosing the datagram size" */
#define FT_DG_STATUS_MAX 1200		/* STATUS stays unfragmented */
#define FT_DG_STATUS_FIXED 24	/* secret, max_tx, rx_count, unique, n */
#define FT_DG_MAX_RANGES ((FT_DG_STATUS_MAX - FT_DG_HEADER - \
    FT_DG_STATUS_FIXED) / 8)
#define FT_DG_HELLO_LEN (FT_DG_HEADER + 8)

enum ft_dg_type { FT_DG_DATA = 1, FT_DG_FIN = 2, FT_DG_STATUS = 3,
    FT_DG_HELLO = 4 };
#define FT_DG_RESENT 1		/* DATA: a repair */
#define FT_DG_END 2		/* FIN: the pass is over (else only a probe) */

struct ft_dg_header {
	uint8_t type, flags;
	uint16_t len;
	uint32_t xfer, seq, tx;
};

struct ft_dg_range {
	uint32_t first, count;
};

struct ft_dg_status {
	uint64_t secret;
	uint32_t max_tx, rx_count, unique, nranges;
	struct ft_dg_range ranges[FT_DG_MAX_RANGES];
};

void ft_dg_put_header(uint8_t *buf, const struct ft_dg_header *h);
/* Checks magic, type and that len matches the datagram's length n.
 * 0, or -1 for a datagram to count as bad and drop. */
int ft_dg_get_header(const uint8_t *buf, size_t n, struct ft_dg_header *h);
/* DATA geometry: how many datagrams a file takes, and the payload length
 * datagram seq must carry. A transfer has at most FT_DG_MAX_COUNT (seq
 * and tx numbers are 32 bits; tx compares by difference): larger files
 * need larger datagrams (ft_dg_fits). */
#define FT_DG_MAX_COUNT 0x3fffffffu
bool ft_dg_fits(uint64_t size, unsigned dsize);
uint32_t ft_dg_count(uint64_t size, unsigned dsize);
unsigned ft_dg_len(uint64_t size, unsigned dsize, uint32_t seq);

size_t ft_dg_put_fin(uint8_t *buf, uint32_t xfer, uint32_t total,
    uint32_t tx, bool end);
int ft_dg_get_fin(const uint8_t *buf, size_t n, uint32_t *total,
    uint32_t *tx);
size_t ft_dg_put_status(uint8_t *buf, uint32_t xfer,
    const struct ft_dg_status *st);
int ft_dg_get_status(const uint8_t *buf, size_t n, struct ft_dg_status *st);
size_t ft_dg_put_hello(uint8_t *buf, uint32_t xfer, uint64_t secret);
int ft_dg_get_hello(const uint8_t *buf, size_t n, uint64_t *secret);

/* One bit per datagram: which have arrived, which need a repair. */
static inline bool
ft_bit_get(const uint8_t *map, uint32_t i)
{
	return map[i >> 3] & (1u << (i & 7));
}

static inline void
ft_bit_set(uint8_t *map, uint32_t i, bool on)
{
	if (on)
		map[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		map[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* How many datagrams of dsize a receive buffer of rcvbuf bytes holds,
 * with the kernel's per-datagram overhead counted: the sender's window,
 * and the receiver's rhythm of reports (a few per window). */
uint32_t ft_dg_window(uint32_t rcvbuf, unsigned dsize);
/* IP and UDP header bytes each datagram costs on the wire: 28 over
 * IPv4, 48 over IPv6 (for the logs' wire_bytes). */
#define FT_DG_WIRE_OVERHEAD(family) ((family) == AF_INET6 ? 48 : 28)
/* Same address and port (IPv4 or IPv6). */
struct sockaddr_storage;
bool ft_dg_same_peer(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);

#endif
