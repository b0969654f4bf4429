#!/usr/bin/env python3
"""ceiling.py: one row of perf-matrix's data/ceilings.tsv from an iperf3 -J
result (standard library only).

    ceiling.py tcp|udp IPERF3.json

Prints tool, protocol, bits_per_second, retransmits, lost_percent,
seconds, congestion, tab-separated (no header). bits_per_second is what
the receiver got (iperf3's sum_received): the goodput, comparable with
ft's MB/s (file bytes over seconds). For UDP, iperf3 sent at the link's
rate and the loss is what did not arrive. Exit 1 with a message on
stderr when the JSON holds no result (iperf3's own error is quoted)."""

import json
import sys


def row(proto, result):
    end = result.get("end") or {}
    got = end.get("sum_received") or end.get("sum") or {}
    sent = end.get("sum_sent") or {}
    if "bits_per_second" not in got:
        raise ValueError(result.get("error") or "no end.sum_received in iperf3's output")
    retrans = sent.get("retransmits", "") if proto == "tcp" else ""
    lost = got.get("lost_percent", end.get("sum", {}).get("lost_percent", "")) \
        if proto == "udp" else ""
    cc = end.get("sender_tcp_congestion", "") if proto == "tcp" else ""
    return ["iperf3", proto, f"{got['bits_per_second']:.0f}", str(retrans),
            "" if lost == "" else f"{lost:.4g}", f"{got.get('seconds', 0):.3f}", cc]


def main(argv):
    if len(argv) != 3 or argv[1] not in ("tcp", "udp"):
        print("usage: ceiling.py tcp|udp IPERF3.json", file=sys.stderr)
        return 2
    try:
        with open(argv[2], encoding="utf-8") as f:
            print("\t".join(row(argv[1], json.load(f))))
    except (OSError, ValueError) as e:
        print(f"ceiling.py: {argv[2]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
