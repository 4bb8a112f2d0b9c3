# e2e: concurrency - handlers run in parallel, a full queue is refused with
# resource-constraint/wait, and every iq get/set is answered exactly once.

import os
import unittest

import harness as h
from shared import BridgeTest


class Load(BridgeTest):
    def burst(self, route, n, prefix):
        """Send n iqs to `route` at once; return ([ids], mark)."""
        m = self.alice.mark()
        return self.alice.send_iqs(self.to(route), n, prefix=prefix), m

    def collect(self, ids, m, timeout=20, settle=1.0):
        """Wait for a reply to each id, then `settle` seconds more; return
        {id: [replies]}."""
        for id in ids:
            r = self.alice.wait_for(lambda s: s.id == id, timeout, since=m)
            self.assertIsNotNone(r, "no reply to %s; bridge log:\n%s"
                                 % (id, self.env.bridge.read_log()[-3000:]))
        self.alice.wait_for(lambda s: False, settle)
        got = {id: [] for id in ids}
        for s in self.alice.received(m):
            if s.id in got:
                got[s.id].append(s)
        return got

    def times(self, route, ids):
        """{id: {"start": t, "end": t}} from slow.sh's log."""
        out = {}
        with open(os.path.join(self.env.work, route, "times")) as f:
            for line in f:
                id, what, t = line.split()
                if id in ids:
                    out.setdefault(id, {})[what] = float(t)
        return out

    def test_handlers_run_concurrently(self):
        ids, m = self.burst("conc", 8, "conc")
        got = self.collect(ids, m, timeout=30)
        for id in ids:
            self.assertEqual(len(got[id]), 1, "replies to %s" % id)
            self.assertResult(got[id][0])
        t = self.times("conc", set(ids))
        self.assertEqual(len(t), 8, t)
        starts = [v["start"] for v in t.values()]
        ends = [v["end"] for v in t.values()]
        self.assertLess(max(starts), min(ends),
                        "handlers did not overlap: every start must precede "
                        "every end")

    def test_full_queue_is_refused_with_resource_constraint(self):
        ids, m = self.burst("queue", 3, "queue")
        got = self.collect(ids, m, timeout=30)
        kinds = []
        for id in ids:
            self.assertEqual(len(got[id]), 1,
                             "iq %s answered %d times" % (id, len(got[id])))
            r = got[id][0]
            if r.type == "result":
                kinds.append("result")
            else:
                self.assertError(r, "resource-constraint", "wait")
                kinds.append("refused")
        self.assertIn("refused", kinds)
        self.assertIn("result", kinds)
        # Only the accepted requests ran, one at a time.
        t = self.times("queue", set(ids))
        self.assertEqual(len(t), kinds.count("result"))
        spans = sorted((v["start"], v["end"]) for v in t.values())
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            self.assertLessEqual(e1, s2, "max_concurrency=1 exceeded")

    def test_every_iq_answered_exactly_once(self):
        self.mixed_burst()
        # Descriptors the bridge opens once, lazily, are open by now; a
        # second burst must not add any.
        fds_before = self.bridge_fds()
        self.mixed_burst()
        h.wait_until(lambda: self.bridge_fds() <= fds_before, 3)
        self.assertLessEqual(self.bridge_fds(), fds_before,
                             "bridge descriptors grew")

    def mixed_burst(self):
        routes = ["echo", "fail", "s404", "badxml", "eof", "s200empty",
                  "big", "status700"]
        m = self.alice.mark()
        ids = []
        for i in range(48):
            id, xml = self.alice.iq(self.to(routes[i % len(routes)]),
                                    id=self.alice.new_id("once"))
            ids.append(id)
            self.alice.send_raw(xml)
        got = self.collect(ids, m, timeout=30, settle=1.5)
        counts = {id: len(v) for id, v in got.items() if len(v) != 1}
        self.assertEqual(counts, {}, "ids not answered exactly once")
        self.assertNoZombies()

    def bridge_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.env.bridge.proc.pid))


if __name__ == "__main__":
    unittest.main()
