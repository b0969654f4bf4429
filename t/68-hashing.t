#!/bin/bash
# 68-hashing.t: a file's first hash does not hold anyone else up. While a
# worker hashes a large file for the first time, a GET for another file
# (already hashed) is answered at once, and a transfer of it completes;
# a second GET for the file being hashed waits for that one hash (it is
# computed once). The hash covers exactly the size the offer states, even
# if the file grows meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

# A sparse 6 GiB file: slow to hash (reads of zeros), instant to make.
truncate -s 6G "$CAT/huge.bin"
start_server -p 4 --idle-timeout 60
transfer_ok warm 1 64k.bin		# 64k.bin hashed and cached
peer_get h1 "GET huge.bin group=1 run=1111111111111111"
sleep 0.3
t0=$(now_ms)
peer_get small "GET 64k.bin group=1 run=2222222222222222"
took=$(($(now_ms) - t0))
like "${REPLY[small]}" '^OK ' "another file's GET during the first hash of a large one: offered"
ok "...at once ($took ms < 2000)" test "$took" -lt 2000
peer_close small
peer_close h1
stop_server
rm -f "$CAT/huge.bin"

# A file that grows while it is hashed: the hash is of the size offered.
head -c $((64 << 20)) /dev/zero >"$CAT/grow.bin"
start_server -p 2
( sleep 0.05; head -c $((8 << 20)) /dev/urandom >>"$CAT/grow.bin" ) &
grower=$!
client grow -c 1 -y -f grow.bin -o "$T/grow-out" -L "$T/grow-logs"
wait "$grower"
size=$(tsv_col "$(ls "$T/grow-logs"/*-log*.tsv)" size)
is "$CLIENT_RC" 0 "a file growing during its first hash: the copy verifies (size $size)"
stop_server
done_testing
