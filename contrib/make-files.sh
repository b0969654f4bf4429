#!/bin/sh
# make-files.sh DIR: the two catalogue files of the lab, 100MB.bin and
# 250MB.bin, of incompressible bytes (AES-128-CTR over zeros: fast and
# reproducible). A file that already has the right size is kept.
set -eu
dir=${1:-files}
mkdir -p "$dir"
make_one() {
	name=$1 size=$2 path="$dir/$1"
	if [ -f "$path" ] && [ "$(stat -c %s "$path")" = "$size" ]; then
		echo "files: $path is there ($size bytes)"
		return
	fi
	echo "files: writing $path ($size bytes)"
	openssl enc -aes-128-ctr -nosalt -K 66742d66696c652d67656e2d76312121 \
	    -iv 0 -in /dev/zero 2>/dev/null | head -c "$size" > "$path.tmp"
	mv "$path.tmp" "$path"
}
make_one 100MB.bin 104857600
make_one 250MB.bin 262144000
