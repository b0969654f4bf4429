#!/usr/bin/env python3
"""samples-check.py: checks ftclient's throughput-over-time outputs against
its log (t/3c-samples.t runs it). Prints one line per check, "PASS what" or
"FAIL what: why"; the test turns them into TAP.

  samples-check.py tsv LOG_TSV SAMPLES_TSV SIZE N
  samples-check.py doc LOG_TSV JSON_FILE SIZE N [SAMPLES_TSV]
  samples-check.py stream LOG_TSV STREAM_FILE SIZE N
"""
import csv
import json
import sys

HEADER = ["run", "test", "client", "start", "end", "seconds", "bytes",
          "bytes_total", "bits_per_second"]


def check(what, cond, why=""):
    print(("PASS " if cond else "FAIL ") + what + ("" if cond else ": " + why))


def read_tsv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def log_rows(path):
    return {int(r["client"]): r for r in read_tsv(path)[1]}


def tiling(rows, log, size, label):
    """Rows (dicts with float/int values) of each client tile its transfer."""
    by = {}
    for r in rows:
        by.setdefault(r["client"], []).append(r)
    check(f"{label}: rows for every connection of the log",
          sorted(by) == sorted(log), f"{sorted(by)} vs {sorted(log)}")
    problems = []
    for k, rs in by.items():
        total = 0
        for i, r in enumerate(rs):
            total += r["bytes"]
            if i and abs(r["start"] - rs[i - 1]["end"]) > 1e-9:
                problems.append(f"client {k} row {i}: starts {r['start']}, "
                                f"the previous ends {rs[i - 1]['end']}")
            if r["end"] <= r["start"]:
                problems.append(f"client {k} row {i}: no duration")
            if abs(r["seconds"] - (r["end"] - r["start"])) > 2.5e-6:
                problems.append(f"client {k} row {i}: seconds {r['seconds']}")
            want = r["bytes"] * 8 / r["seconds"] if r["seconds"] > 0 else 0
            # seconds is rounded to the microsecond: so much off, at most
            slack = want * 1e-6 / r["seconds"] if r["seconds"] > 0 else 0
            if abs(r["bits_per_second"] - want) > 2 + want * 1e-9 + slack:
                problems.append(f"client {k} row {i}: bits_per_second "
                                f"{r['bits_per_second']}, want {want}")
            if "bytes_total" in r and r["bytes_total"] != total:
                problems.append(f"client {k} row {i}: bytes_total")
        lg = log.get(k)
        if lg is None:
            continue
        if total != int(lg["bytes"]) or total != size:
            problems.append(f"client {k}: bytes add up to {total}, the log "
                            f"says {lg['bytes']}, the file {size}")
        span = rs[-1]["end"] - rs[0]["start"]
        if abs(span - float(lg["seconds"])) > 2.5e-6:
            problems.append(f"client {k}: rows span {span:.6f} s, the log "
                            f"says {lg['seconds']}")
        if rs[0]["start"] < 0:
            problems.append(f"client {k}: starts before the test")
    check(f"{label}: each connection's rows tile its transfer (contiguous, "
          "bytes add up to the log's, last ends at its end)",
          not problems, "; ".join(problems[:5]))
    return by


def cmd_tsv(log_path, path, size, n):
    header, rows = read_tsv(path)
    check("samples TSV: the header", header == HEADER, str(header))
    log = log_rows(log_path)
    lg = next(iter(log.values()))
    check("samples TSV: run and test are the log's (its pairing ids)",
          all(r["run"] == lg["run"] and r["test"] == lg["test"] for r in rows)
          and rows, f"{len(rows)} rows")
    conv = [{"client": int(r["client"]), "start": float(r["start"]),
             "end": float(r["end"]), "seconds": float(r["seconds"]),
             "bytes": int(r["bytes"]), "bytes_total": int(r["bytes_total"]),
             "bits_per_second": float(r["bits_per_second"])} for r in rows]
    by = tiling(conv, log, size, "samples TSV")
    check("samples TSV: some connection has several intervals",
          any(len(v) > 1 for v in by.values()), str({k: len(v) for k, v in by.items()}))
    check(f"samples TSV: bytes add up to {n} x the file",
          sum(r["bytes"] for r in conv) == n * size)


def stream_rows(intervals):
    rows = []
    for iv in intervals:
        s = iv["sum"]
        streams = iv["streams"]
        if sum(x["bytes"] for x in streams) != s["bytes"]:
            return None
        for x in streams:
            rows.append({"client": x["socket"], "start": x["start"],
                         "end": x["end"], "seconds": x["seconds"],
                         "bytes": x["bytes"], "bytes_total": x["ft_bytes_total"],
                         "bits_per_second": x["bits_per_second"]})
    return rows


def check_start_end(start, end, log, size, n, label):
    lg = next(iter(log.values()))
    ts = start["test_start"]
    check(f"{label}: start names the protocol, the streams, the size",
          ts["protocol"] == lg["proto"].upper() and ts["num_streams"] == n
          and ts["bytes"] == size, json.dumps(ts))
    check(f"{label}: start.ft carries the run and test ids",
          start["ft"]["run"] == lg["run"] and str(start["ft"]["test"]) == lg["test"],
          json.dumps(start["ft"]))
    check(f"{label}: start.version and connecting_to",
          start["version"].startswith("ftclient ") and
          start["connecting_to"]["port"] > 0)
    rec = [s["receiver"] for s in end["streams"]]
    check(f"{label}: end: each stream received the file",
          len(rec) == n and all(r["bytes"] == size for r in rec), json.dumps(rec)[:300])
    check(f"{label}: end: receiver seconds are the log's",
          all(abs(s["receiver"]["seconds"] - float(log[s["ft"]["client"]]["seconds"]))
              < 2.5e-6 for s in end["streams"]))
    check(f"{label}: end: every stream verified (ft.verified)",
          all(s["ft"]["verified"] is True for s in end["streams"]) and
          end["ft"]["verified"] == n)
    check(f"{label}: end.sum_received: {n} x the file",
          end["sum_received"]["bytes"] == n * size, str(end["sum_received"]))
    check(f"{label}: end.ft.test_start is the log's",
          end["ft"]["test_start"] == lg["test_start"],
          f"{end['ft']['test_start']} vs {lg['test_start']}")


def cmd_doc(log_path, path, size, n, samples=None):
    try:
        with open(path) as f:
            doc = json.load(f)
    except ValueError as e:
        check("--json: valid JSON", False, str(e))
        return
    check("--json: valid JSON, {start, intervals, end}",
          sorted(doc) == ["end", "intervals", "start"], str(sorted(doc)))
    log = log_rows(log_path)
    check_start_end(doc["start"], doc["end"], log, size, n, "--json")
    rows = stream_rows(doc["intervals"])
    check("--json: each interval's sum is its streams'", rows is not None)
    if rows is None:
        return
    tiling(rows, log, size, "--json intervals")
    if samples:
        check("--json: as many stream intervals as samples TSV rows",
              len(rows) == len(read_tsv(samples)[1]))


def cmd_stream(log_path, path, size, n):
    events = []
    bad = []
    with open(path) as f:
        for i, line in enumerate(f):
            try:
                events.append(json.loads(line))
            except ValueError:
                bad.append(i + 1)
    check("--json-stream: every line of stdout is one JSON object", not bad
          and events, f"lines {bad[:5]}")
    if not events:
        return
    names = [e.get("event") for e in events]
    check("--json-stream: start, intervals, end",
          names[0] == "start" and names[-1] == "end" and
          set(names[1:-1]) <= {"interval"} and len(names) > 2, str(names[:5]))
    log = log_rows(log_path)
    check_start_end(events[0]["data"], events[-1]["data"], log, size, n,
                    "--json-stream")
    rows = stream_rows([e["data"] for e in events if e["event"] == "interval"])
    check("--json-stream: each interval's sum is its streams'", rows is not None)
    if rows is not None:
        tiling(rows, log, size, "--json-stream intervals")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    args[2], args[3] = int(args[2]), int(args[3])
    {"tsv": cmd_tsv, "doc": cmd_doc, "stream": cmd_stream}[cmd](*args)


if __name__ == "__main__":
    main()
