# e2e: logging in - a refused login is logged with the server's reason and retried
# with capped exponential backoff and jitter; the server's certificate is verified by
# default (a bridge without the test CA never comes online).

import re
import unittest

import harness as h
from harness import Route, script

_prosody = h.ModuleProsody()
prosody = _prosody.get  # a private Prosody for this module, started on first use
tearDownModule = _prosody.stop


class Login(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.bridges = []

    def tearDown(self):
        for b in self.bridges:
            b.stop()

    def bridge(self, name, **kw):
        b = h.Bridge(self.prosody, [Route("echo", script("echo.sh"))], name=name, **kw)
        self.bridges.append(b)
        b.launch()
        return b

    def test_wrong_password_logged_with_reason_and_backed_off(self):
        b = self.bridge("badpass", password="not-the-password")
        self.assertTrue(b.wait_log("attempt 3)", timeout=20), b.read_log())
        log = b.read_log()
        self.assertIn("route echo: login failed: the server said not-authorized", log)
        self.assertNotIn("online as", log)
        delays = [(int(a), int(ms)) for ms, a in
                  re.findall(r"reconnecting in (\d+) ms \(attempt (\d+)\)", log)]
        self.assertGreaterEqual(len(delays), 3, log)
        # attempt k waits between half and all of 500 ms * 2^(k-1): exponential, jittered
        for attempt, ms in delays:
            full = 500 * 2 ** (attempt - 1)
            self.assertTrue(full // 2 <= ms <= full, (attempt, ms))
        # one failure line per attempt, not a flood
        self.assertEqual(log.count("login failed"), len(delays), log)

    def test_certificate_verified_by_default(self):
        # No cafile: the test CA is not trusted, so TLS must fail and no login happen.
        b = h.Bridge(self.prosody, [Route("echo", script("echo.sh"))], name="nocafile")
        self.bridges.append(b)
        b.edit_config(lambda text: re.sub(r"(?m)^cafile = .*\n", "", text))
        b.launch()
        self.assertTrue(b.wait_log("reconnecting in", timeout=20), b.read_log())
        log = b.read_log()
        self.assertNotIn("online as", log)
        self.assertIn("certificate is not trusted", log)


if __name__ == "__main__":
    unittest.main()
