# e2e: back-pressure (issue 4). When every route is saturated the bridge refuses with
# resource-constraint (wait) instead of growing without bound: a flood far beyond
# max_concurrency + max_queue gets exactly one answer per iq, the surplus refused, and
# the bridge's resident memory stays flat across a second, equal flood.

import time
import unittest

import harness as h
from harness import Route, script

FLOOD = 1500
CONCURRENCY = 8
QUEUE = 32

_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody for this module, started on first use
tearDownModule = _prosody.stop


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class BackPressure(unittest.TestCase):
    def flood(self, alice, n):
        mark = alice.mark()
        ids = alice.send_iqs("bridge@localhost/busy", n)
        want = set(ids)

        def all_answered():
            got = {s.id for s in alice.received(mark)}
            return want <= got
        self.assertTrue(h.wait_until(all_answered, 60, 0.1), "not every iq was answered")
        replies = [s for s in alice.received(mark) if s.id in want]
        return ids, replies

    def test_saturated_route_refuses_and_memory_stays_flat(self):
        p = prosody()
        d = h.make_tempdir("xmpp-cgi-bp-")
        b = h.Bridge(p, [Route("busy", script("slow.sh"), max_concurrency=CONCURRENCY,
                               max_queue=QUEUE, env=["LOG_DIR=" + d, "SLEEP=1"])],
                     name="bp")
        self.addCleanup(b.stop)
        b.start()
        alice = h.Client(p, "alice@localhost", resource="bp")
        self.addCleanup(alice.close)

        ids, replies = self.flood(alice, FLOOD)
        self.assertEqual(len(replies), FLOOD, "exactly one answer per iq")
        results = [r for r in replies if r.type == "result"]
        refused = [r for r in replies if r.type == "error"]
        self.assertLessEqual(len(results), CONCURRENCY + QUEUE + CONCURRENCY,
                             "more ran than the route's limits allow")
        self.assertGreater(len(refused), FLOOD // 2)
        for r in refused:
            self.assertEqual(r.error()[:2], ("wait", "resource-constraint"), r.xml)
        time.sleep(3)  # let the queue drain
        before = rss_kb(b.proc.pid)

        ids, replies = self.flood(alice, FLOOD)
        self.assertEqual(len(replies), FLOOD)
        time.sleep(3)
        after = rss_kb(b.proc.pid)
        # flat: a second flood of the same size leaves no lasting growth
        self.assertLess(after - before, 2048,
                        "RSS grew from %d to %d KiB across a flood" % (before, after))


if __name__ == "__main__":
    unittest.main()
