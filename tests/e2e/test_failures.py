# e2e: failures of the handler and of its response - malformed CGI output,
# crashes, time limit (process-group kill), output limit, unread stdin.

import os
import time
import unittest

import harness as h
from shared import BridgeTest, body_text


class Malformed(BridgeTest):
    def check_ise(self, route):
        r = self.alice.query(self.to(route))
        self.assertError(r, "internal-server-error", "cancel")

    def test_not_well_formed_xml_body(self):
        self.check_ise("badxml")

    def test_header_line_without_colon(self):
        self.check_ise("nocolon")

    def test_eof_before_blank_line(self):
        self.check_ise("eof")

    def test_no_content_type_status_or_location(self):
        self.check_ise("noheaders")

    def test_status_700(self):
        self.check_ise("status700")

    def test_crash_exit_1_without_output(self):
        self.check_ise("fail")

    def test_killed_by_signal_mid_header(self):
        self.check_ise("killed")

    def test_header_block_over_64k(self):
        self.check_ise("bighdr")

    def test_failures_leave_no_zombies(self):
        for route in ("fail", "killed", "eof"):
            self.check_ise(route)
        self.assertNoZombies()


class Limits(BridgeTest):
    def read_pids(self, route, id):
        d = os.path.join(self.env.work, route)
        self.wait_file(os.path.join(d, id + ".grandchild"))
        with open(os.path.join(d, id + ".pid")) as f:
            pid = int(f.read())
        with open(os.path.join(d, id + ".grandchild")) as f:
            grandchild = int(f.read())
        return pid, grandchild

    def check_timeout(self, route, kill_within):
        id, xml = self.alice.iq(self.to(route))
        t0 = time.monotonic()
        r = self.alice.request(xml, id, timeout=15)
        elapsed = time.monotonic() - t0
        self.assertError(r, "remote-server-timeout", "wait")
        self.assertGreaterEqual(elapsed, 0.9, "answered before timeout=1")
        pid, grandchild = self.read_pids(route, id)
        dead = h.wait_until(lambda: not h.pid_alive(pid)
                            and not h.pid_alive(grandchild), kill_within)
        self.assertTrue(dead, "still alive after %ss: script %s %s, "
                        "grandchild %s %s"
                        % (kill_within, pid, h.pid_alive(pid), grandchild,
                           h.pid_alive(grandchild)))

    def test_timeout_kills_script_and_grandchild(self):
        self.check_timeout("timeout", kill_within=3)
        self.assertNoZombies()

    def test_timeout_sigkill_when_sigterm_ignored(self):
        # The script and its children ignore SIGTERM: SIGKILL 3 s later.
        self.check_timeout("stubborn", kill_within=6)
        self.assertNoZombies()

    def test_output_over_max_output(self):
        r = self.alice.query(self.to("big"))
        self.assertError(r, "resource-constraint", "modify")

    def test_output_under_max_output(self):
        r = self.alice.query(self.to("small"))
        self.assertResult(r)
        self.assertEqual(body_text(r), "a" * 900)

    def test_large_reply_arrives_without_further_traffic(self):
        # 150 KB through TLS: the last bytes must not wait for the next
        # request (doc/design-notes.md section 5, TLS records waiting in the TLS buffer).
        r = self.alice.query(self.to("large"), timeout=5)
        self.assertResult(r)
        self.assertEqual(body_text(r), "a" * 150000)

    def test_burst_of_large_replies_all_arrive(self):
        # 24 x 150 KB at once: the bridge's writes outrun the server's reads, so some
        # stop short with part of a stanza still queued, which libstrophe's queue
        # length does not count. The last one must still go out with nothing else
        # happening on the connection (the socket watched for writability).
        m = self.alice.mark()
        ids = self.alice.send_iqs(self.to("large"), 24, prefix="burst")
        for id in ids:
            r = self.alice.wait_for(lambda s: s.id == id, 60, since=m)
            self.assertIsNotNone(r, "no reply to %s" % id)
            self.assertResult(r)
            self.assertEqual(body_text(r), "a" * 150000)

    def test_handler_not_reading_large_stdin(self):
        payload = "<big xmlns='urn:e2e:big'>%s</big>" % ("x" * 150000)
        r = self.alice.query(self.to("noread"), payload, timeout=20)
        self.assertResult(r)
        self.assertEqual(body_text(r), "ignored your request\n")
        self.assertTrue(self.env.bridge.alive())

    def test_handler_stderr_is_logged(self):
        marker = "stderr-marker-%d" % os.getpid()
        since = self.env.bridge.log_size()
        r = self.alice.query(self.to("status"), attrs={"data-stderr": marker})
        self.assertResult(r)
        self.assertTrue(self.env.bridge.wait_log(marker, 5, since=since),
                        "handler stderr not in log")
        line = [l for l in self.env.bridge.read_log(since).splitlines()
                if marker in l][0]
        self.assertRegex(line, r"^xmpp-cgi: info: route status \[pid \d+\]: "
                         + marker + "$")


if __name__ == "__main__":
    unittest.main()
