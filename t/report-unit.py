"""Unit tests of contrib/ft-report's pure parts (t/6b-report.t runs them):
pairing keys, statistics, the number formats that keep a difference
visible, escaping, and pairing rows held in memory."""

import importlib.machinery
import importlib.util
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
_loader = importlib.machinery.SourceFileLoader("ft_report", str(HERE.parent / "contrib" / "ft-report"))
_spec = importlib.util.spec_from_loader("ft_report", _loader)
fr = importlib.util.module_from_spec(_spec)
_loader.exec_module(fr)


def log_with(role, rows):
    log = fr.LogFile(path=Path(f"x-{role}-tcp-log.tsv"), host="h", name=f"h/{role}", role=role,
                     proto="tcp")
    for r in rows:
        r = {"role": role, "proto": "tcp", "ok": "yes", "reason": "-", **r, "_log": log}
        log.rows.append(r)
    return log


class Pairing(unittest.TestCase):
    def test_key_uses_ids_not_ports(self):
        a = {"run": "00000000000000ab", "test": "4", "client": "2", "client_port": "1000"}
        b = dict(a, client_port="2000", client_ip="192.0.2.9")  # behind NAT
        self.assertEqual(fr.pairing_key(a), fr.pairing_key(b))

    def test_key_without_ids_falls_back_to_start(self):
        row = {"run": "-", "test": "0", "client": "1", "test_start": "T"}
        self.assertEqual(fr.pairing_key(row), ("start", "T", "1"))
        self.assertEqual(fr.pairing_key({"client": "1", "test_start": "T"}), ("start", "T", "1"))

    def test_two_runs_of_one_test_pair_apart(self):
        server = log_with("server", [
            {"run": "aaaaaaaaaaaaaaaa", "test": "1", "client": "1", "bytes": "10", "seconds": "1"},
            {"run": "bbbbbbbbbbbbbbbb", "test": "1", "client": "2", "bytes": "10", "seconds": "1"}])
        ca = log_with("client", [{"run": "aaaaaaaaaaaaaaaa", "test": "1", "client": "1"}])
        cb = log_with("client", [{"run": "bbbbbbbbbbbbbbbb", "test": "1", "client": "2"},
                                 {"run": "bbbbbbbbbbbbbbbb", "test": "1", "client": "3"}])
        tests = fr.pair_rows([server, ca, cb])
        self.assertEqual(len(tests), 1, "the unpaired client row stays in its run's test")
        conns = tests[0].connections
        self.assertEqual([(c.client_no, c.server is not None, c.client is not None) for c in conns],
                         [(1, True, True), (2, True, True), (3, False, True)])

    def test_one_side_without_ids_pairs_by_start(self):
        old_server = log_with("server", [{"test_start": "T1", "client": "1"}])
        new_client = log_with("client", [{"test_start": "T1", "client": "1",
                                          "run": "dddddddddddddddd", "test": "7"}])
        conn = fr.pair_rows([old_server, new_client])[0].connections[0]
        self.assertEqual((conn.paired_by, conn.client is not None), ("start", True))

    def test_ids_that_differ_never_pair_by_start(self):
        server = log_with("server", [{"test_start": "T1", "client": "1",
                                      "run": "eeeeeeeeeeeeeeee", "test": "1"}])
        client = log_with("client", [{"test_start": "T1", "client": "1",
                                      "run": "ffffffffffffffff", "test": "1"}])
        self.assertEqual(len(fr.pair_rows([server, client])), 2, "two runs: two tests")

    def test_client_log_alone_is_a_test(self):
        alone = log_with("client", [{"run": "cccccccccccccccc", "test": "9", "client": "1"}])
        tests = fr.pair_rows([alone])
        self.assertEqual(len(tests), 1)
        self.assertIsNone(tests[0].server_log)


class Reading(unittest.TestCase):
    def read(self, name, text):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / name
            path.write_bytes(text)
            log = fr.LogFile(path=path, host=d, name=name)
            fr.read_log(log)
            return log

    def test_columns_by_name_in_any_order(self):
        log = self.read("a-client-udp-log.tsv", b"ok\tnew\tseconds\tclient\tbytes\r\nyes\tx\t0.5\t3\t10\r\n")
        self.assertEqual([(r["client"], r["bytes"], r["seconds"], r["ok"]) for r in log.rows],
                         [("3", "10", "0.5", "yes")])
        self.assertEqual(log.extra, ["new"])
        self.assertIn("run", log.missing)
        self.assertEqual((log.role, log.proto), ("client", "udp"))

    def test_a_file_without_ft_columns_is_not_read(self):
        log = self.read("b-server-tcp-log.tsv", b"\x00\xff garbage\nmore\n")
        self.assertEqual(log.rows, [])
        self.assertEqual(log.not_a_log, list(fr.REQUIRED_COLUMNS))

    def test_short_lines_are_counted_not_read(self):
        log = self.read("c-server-tcp-log.tsv", b"client\tbytes\tseconds\tok\n1\t2\n2\t5\t1\tyes\n")
        self.assertEqual((len(log.rows), log.bad_lines), (1, [2]))

    def test_the_role_is_the_file_name_s(self):
        log = self.read("d-server-tcp-log.tsv", b"role\tclient\tbytes\tseconds\tok\nclient\t1\t2\t1\tyes\n")
        self.assertEqual((log.rows[0]["role"], log.role_mismatch), ("server", 1))


class Figures(unittest.TestCase):
    def test_failed_transfers_are_not_throughput(self):
        ok = fr.Connection(1, client={"ok": "yes", "bytes": "1000000", "seconds": "0.5"})
        bad = fr.Connection(2, client={"ok": "no", "bytes": "9000000", "seconds": "2"})
        f = fr.side_figures([ok, bad], "client")
        self.assertEqual(f["bytes"], 1000000)
        self.assertEqual(f["aggregate_mb_per_s"], 2.0)
        self.assertEqual(f["median_mb_per_s"], 2.0)

    def test_a_side_saying_no_fails_the_transfer(self):
        c = fr.Connection(1, server={"ok": "no"}, client={"ok": "yes"})
        self.assertFalse(c.verified)

    def test_jain(self):
        self.assertAlmostEqual(fr.jain([5, 5, 5]), 1.0)
        self.assertAlmostEqual(fr.jain([9, 0, 0]), 1 / 3)

    def test_rate_is_unrounded(self):
        self.assertEqual(fr.rate_of({"bytes": "1000003", "seconds": "0.001880"}),
                         1000003 / 0.001880 / 1e6)
        self.assertIsNone(fr.rate_of({"bytes": "5", "seconds": "0.000000"}))

    def test_comparison_direction_from_unrounded_values(self):
        tcp = {"index": 1, "aggregate_mb_per_s": 24.68831, "mode": "-", "failed": 0, "verified": 2}
        udp = {"index": 2, "aggregate_mb_per_s": 24.68983, "mode": "raw", "failed": 0, "verified": 2}
        c = fr.compare_one("f", 1, 2, [tcp], [udp])
        self.assertEqual(c["faster"], "udp")
        self.assertEqual(round(c["tcp_mb_per_s"], 2), round(c["udp_mb_per_s"], 2))


class Formats(unittest.TestCase):
    def test_distinct_adds_decimals_until_they_differ(self):
        self.assertEqual(fr.distinct(24.68831, 24.68983), ("24.688", "24.690"))
        self.assertEqual(fr.distinct(1.0, 1.0), ("1.00", "1.00"))
        self.assertEqual(fr.distinct(3.5, 1.25), ("3.50", "1.25"))

    def test_significant(self):
        self.assertEqual(fr.significant(0.0061731), "0.00617")
        self.assertEqual(fr.significant(254.0), "254")
        self.assertEqual(fr.significant(1.5e-5), "0.0000150")
        self.assertEqual(fr.significant(2018.5), "2018")  # was "Format specifier missing precision"
        self.assertEqual(fr.significant(999.96), "1000")
        self.assertEqual(fr.significant(-0.5), "-0.500")

    def test_printable(self):
        self.assertEqual(fr.printable("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07")

    def test_markdown_escapes_markup_and_html(self):
        text = fr.md('<script>x</script> | *b* [l](u) \\x1b')
        self.assertNotIn("<", text)
        self.assertIn("\\|", text)
        self.assertIn("\\*b\\*", text)
        self.assertIn("\\[l\\]", text)

    def test_html_escape(self):
        self.assertEqual(fr.esc('<a href="x">'), "&lt;a href=&quot;x&quot;&gt;")

    def test_spanish_falls_back_to_english(self):
        t = fr.Texts("es")
        self.assertEqual(t("comparison"), "Comparación TCP vs UDP")
        self.assertEqual(set(fr.TEXTS["es"]), set(fr.TEXTS["en"]), "every text translated")


def summary_of(index, proto, mode, agg, failed=0, file="f", clients=1, secs=1.0):
    """A test summary as test_summary makes it, with only what the
    statistics read."""
    return {"index": index, "proto": proto, "mode": mode, "file": file, "size": 1,
            "clients": clients, "aggregate_mb_per_s": agg, "longest_seconds": secs,
            "failed": failed, "verified": clients - failed, "runs": [f"r{index}"]}


class Repeats(unittest.TestCase):
    def test_t_table(self):
        self.assertEqual(fr.t95(1), 12.706)
        self.assertEqual(fr.t95(4), 2.776)
        self.assertEqual(fr.t95(35), 2.042)  # between listed dfs: the wider
        self.assertEqual(fr.t95(1000), 1.980)

    def test_mean_ci(self):
        st = fr.mean_ci([10.0, 12.0, 14.0])
        self.assertEqual((st["n"], st["mean"], st["sd"]), (3, 12.0, 2.0))
        self.assertAlmostEqual(st["half"], 4.303 * 2.0 / 3 ** 0.5)
        self.assertAlmostEqual(st["low"], 12.0 - st["half"])
        one = fr.mean_ci([5.0])
        self.assertEqual((one["n"], one["mean"], one["sd"], one["half"]), (1, 5.0, None, None))

    def test_cells_group_repeats_and_leave_out_failures(self):
        tests = [summary_of(1, "tcp", "-", 10.0), summary_of(2, "udp", "raw", 20.0),
                 summary_of(3, "tcp", "-", 12.0), summary_of(4, "udp", "reliable", 15.0),
                 summary_of(5, "tcp", "-", 99.0, failed=1)]
        cells = {c["kind"]: c for c in fr.cell_statistics(tests)}
        self.assertEqual(sorted(cells), ["tcp", "udp-raw", "udp-reliable"])
        self.assertEqual((cells["tcp"]["tests"], cells["tcp"]["left_out"]), ([1, 3, 5], [5]))
        self.assertEqual(cells["tcp"]["aggregate"]["mean"], 11.0)

    def test_overlap_is_stated(self):
        tcp = [summary_of(1, "tcp", "-", 10.0), summary_of(2, "tcp", "-", 11.0)]
        near = [summary_of(3, "udp", "raw", 10.4), summary_of(4, "udp", "raw", 11.2)]
        far = [summary_of(5, "udp", "raw", 50.0), summary_of(6, "udp", "raw", 50.1)]
        self.assertTrue(fr.compare_one("f", 1, 1, tcp, near)["ci_overlap"])
        self.assertFalse(fr.compare_one("f", 1, 1, tcp, far)["ci_overlap"])
        self.assertIsNone(fr.compare_one("f", 1, 1, tcp[:1], far[:1])["ci_overlap"])
        text = fr.finding_text(fr.compare_one("f", 1, 1, tcp, near), fr.Texts("en"))
        self.assertIn("confidence intervals overlap, so the difference is not established", text)

    def test_a_failed_test_is_left_out_of_the_mean(self):
        tcp = [summary_of(1, "tcp", "-", 10.0), summary_of(2, "tcp", "-", 1.0, failed=1)]
        c = fr.compare_one("f", 1, 1, tcp, [summary_of(3, "udp", "raw", 5.0)])
        self.assertEqual((c["tcp_mb_per_s"], c["faster"]), (10.0, "tcp"))
        self.assertIn("left out of the mean", fr.finding_text(c, fr.Texts("en")))


class Findings(unittest.TestCase):
    """Issue 11, what was seen 2: "UDP was faster in 0 of 2 cells" when it
    was faster in one. The direction came from rounded figures; today it
    comes from exact ones, and raw and reliable UDP are counted apart (one
    count over both modes said "1 of 2" for two different claims)."""

    def findings(self, tests, link="loopback (127.0.0.1)"):
        summary = {"tests": tests, "conditions": [("link", link)] if link else [],
                   "comparisons": fr.compare_protocols(tests)}
        for t in tests:
            t["_test"] = fr.Test()
            t.setdefault("jain", None)
        return fr.findings_blocks(summary, fr.Texts("en"))[-1][1]

    def test_directions_per_mode_from_exact_values(self):
        # All three round to 1.00 MB/s: raw is below TCP, reliable above.
        lines = self.findings([summary_of(1, "tcp", "-", 1.0012),
                               summary_of(2, "udp", "raw", 1.0009),
                               summary_of(3, "udp", "reliable", 1.0014)])
        self.assertIn("TCP vs UDP (raw), on unrounded aggregates (loopback: CPU-bound): "
                      "UDP (raw) was faster in 0 of 1 comparisons, TCP in 1, equal in 0.", lines)
        self.assertIn("TCP vs UDP (reliable), on unrounded aggregates (loopback: CPU-bound): "
                      "UDP (reliable) was faster in 1 of 1 comparisons, TCP in 0, equal in 0.", lines)
        rng = [x for x in lines if x.startswith("Highest")][0]
        self.assertIn("1.0014 MB/s", rng)
        self.assertIn("1.0009 MB/s", rng)

    def test_each_finding_names_its_condition(self):
        lines = self.findings([summary_of(1, "tcp", "-", 2.0), summary_of(2, "udp", "raw", 3.0)],
                              link="lan1g: namespaces a and b")
        self.assertTrue(any("(link lan1g)" in x for x in lines))


class Samples(unittest.TestCase):
    """ftclient's samples: read by column name, bad rows and files without
    the columns skipped, paired by (run, test), duplicates read once."""

    def write(self, folder, name, text):
        path = Path(folder) / name
        path.write_text(text)
        return path

    def test_read_by_name_skipping_bad_rows(self):
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "a-client-tcp-samples.tsv",
                       "bytes\tclient\tend\trun\tstart\ttest\textra\n"
                       "10\t1\t0.2\tr1\t0.1\t3\tx\n"
                       "oops\t1\t0.3\tr1\t0.2\t3\tx\n"
                       "20\t2\t0.3\tr1\t0.1\t3\tx\n")
            self.write(d, "sub-client-tcp-samples-2.tsv", "run\tclient\n1\t2\n")
            (Path(d) / "copy").mkdir()
            self.write(d + "/copy", "a-client-tcp-samples.tsv",
                       (Path(d) / "a-client-tcp-samples.tsv").read_text())
            self.assertEqual(fr.read_samples([d]),
                             {("r1", "3"): {1: [(0.1, 0.2, 10)], 2: [(0.1, 0.3, 20)]}})

    def test_attach_by_ids(self):
        client = log_with("client", [{"run": "r1", "test": "3", "client": "1"}])
        test = fr.pair_rows([client])[0]
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "x-client-tcp-samples.tsv",
                       "run\ttest\tclient\tstart\tend\tbytes\n"
                       "r1\t3\t1\t0.5\t0.6\t7\nr1\t4\t1\t0.5\t0.6\t9\n"
                       "r2\t3\t1\t0.5\t0.6\t9\n")
            summary = {"_test": test}
            fr.attach_samples([d], [summary])
        self.assertEqual(summary["_samples"], {1: [(0.5, 0.6, 7)]})
        self.assertEqual(summary["samples"], {"connections": 1, "intervals": 1})


class Ceilings(unittest.TestCase):
    def test_percent_of_own_protocol_and_lines(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "c.tsv"
            path.write_text("tool\tprotocol\tbits_per_second\n"
                            "iperf3\ttcp\t800000000\niperf3\tudp\t400000000\n")
            tests = [{"proto": "tcp", "aggregate_mb_per_s": 90.0},
                     {"proto": "udp", "aggregate_mb_per_s": None}]
            rows = fr.attach_ceilings(str(path), tests)
        self.assertEqual(len(rows), 2)
        self.assertEqual(tests[0]["ceiling"]["mb_per_s"], 100.0)
        self.assertEqual(tests[0]["ceiling"]["percent"], 90.0)
        self.assertIsNone(tests[1]["ceiling"]["percent"], "no aggregate: no percentage")
        graphs = {"aggregate": ("t", ["set x", "plot 'a.dat' using 1:2"])}
        fr.add_ceiling_lines(graphs, tests, fr.Texts("en"))
        self.assertTrue(graphs["aggregate"][1][-1].startswith("plot 'a.dat' using 1:2, 100 with lines"))
        self.assertIn("title 'iperf3 UDP ceiling'", graphs["aggregate"][1][-1])

    def test_above_the_ceiling_is_explained(self):
        t = {"ceiling": {"tool": "iperf3", "protocol": "udp", "mb_per_s": 50.0, "percent": 240.0}}
        text = fr.test_ceiling_blocks(t, fr.Texts("en"))[0][1]
        self.assertIn("240.0 % of it", text)
        self.assertIn("that ceiling is iperf3's own limit", text)
        t["ceiling"]["percent"] = 99.0
        self.assertNotIn("own limit", fr.test_ceiling_blocks(t, fr.Texts("en"))[0][1])


if __name__ == "__main__":
    unittest.main()
