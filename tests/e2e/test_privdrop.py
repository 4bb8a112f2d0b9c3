# e2e: privilege drop - started as root, the bridge switches to [daemon] user (and its
# group) after reading its secrets and before any handler runs; handlers then report
# that account, the daemon cannot get root back, and the control socket belongs to
# the user. Started as root without a user it refuses to run; `user = root` runs
# handlers as root on purpose. The test user is made with useradd and removed after.

import os
import pwd
import re
import subprocess
import unittest
import uuid

import harness as h
from harness import Route, script

IDS = script("ids.sh")
_fixture = {}
_prosody = h.ModuleProsody()  # a private Prosody, started with the module


def setUpModule():
    if os.geteuid() != 0:
        raise unittest.SkipTest("privilege drop needs the tests to run as root")
    name = "xcgi%s" % uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                    "--shell", "/usr/sbin/nologin", name], check=True)
    _fixture["user"] = name
    _prosody.get()


def tearDownModule():
    _prosody.stop()
    name = _fixture.pop("user", None)
    if name:
        subprocess.run(["userdel", name], check=False)
        subprocess.run(["groupdel", name], check=False,
                       stderr=subprocess.DEVNULL)


def proc_ids(pid):
    """(real, effective, saved, fs) uids and gids of a process."""
    with open("/proc/%d/status" % pid) as f:
        text = f.read()
    uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", text, re.M).group(1).split()]
    gids = [int(x) for x in re.search(r"^Gid:\s+(.*)$", text, re.M).group(1).split()]
    return uids, gids


class PrivilegeDrop(unittest.TestCase):
    def setUp(self):
        self.prosody = _prosody.get()
        self.user = pwd.getpwnam(_fixture["user"])
        self.bridges = []
        self.client = None

    def tearDown(self):
        if self.client:
            self.client.close()
        for b in self.bridges:
            b.stop()

    def bridge(self, name, daemon):
        """A bridge with an `ids` route whose [daemon] section is `daemon`
        (None: no section at all)."""
        b = h.Bridge(self.prosody, [Route("ids", IDS)], name=name)
        self.bridges.append(b)
        with open(b.cfg) as f:
            text = f.read().replace(h.DAEMON_SECTION, "")
        with open(b.cfg, "w") as f:
            f.write(text)
            if daemon is not None:
                f.write("[daemon]\n%s\n" % daemon)
        return b

    def ask_ids(self, b):
        if not self.client:
            self.client = h.Client(self.prosody, "alice@localhost")
        r = self.client.query("%s/ids" % b.jid)
        self.assertEqual(r.type, "result", r.xml)
        m = re.search(r"uid=(\d+) gid=(\d+) groups=([\d ]+)", r.xml)
        self.assertIsNotNone(m, r.xml)
        return int(m.group(1)), int(m.group(2)), [int(g) for g in m.group(3).split()]

    def test_handlers_run_as_the_configured_user(self):
        b = self.bridge("dropped", "user = %s" % self.user.pw_name)
        sock = os.path.join(b.dir, "control")
        with open(b.cfg, "a") as f:
            f.write("[control]\nsocket = %s\n" % sock)
        b.start()
        self.assertIn("running as user %s" % self.user.pw_name, b.read_log())
        uid, gid, groups = self.ask_ids(b)
        self.assertEqual(uid, self.user.pw_uid)
        self.assertNotEqual(uid, 0)
        self.assertEqual(gid, self.user.pw_gid)
        self.assertNotIn(0, groups)  # root's supplementary groups are gone
        uids, gids = proc_ids(b.proc.pid)
        self.assertEqual(uids, [self.user.pw_uid] * 4)  # no saved uid 0 to go back to
        self.assertEqual(gids, [self.user.pw_gid] * 4)
        st = os.stat(sock)
        self.assertEqual((st.st_uid, st.st_gid), (self.user.pw_uid, self.user.pw_gid))
        # the password was read as root, before the switch: the routes are online
        self.assertIn("route ids: online as", b.read_log())

    def test_group_key_sets_the_group(self):
        b = self.bridge("group", "user = %s\ngroup = nogroup" % self.user.pw_name)
        b.start()
        uid, gid, groups = self.ask_ids(b)
        self.assertEqual(uid, self.user.pw_uid)
        self.assertEqual(gid, h_gid("nogroup"))

    def test_root_without_user_refuses_to_start(self):
        b = self.bridge("nouser", None)
        r = b.run(["-c", b.cfg], timeout=15)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("started as root without [daemon] user", r.stderr)
        self.assertIn(b.cfg, r.stderr)
        # --once runs a handler too: refused the same way
        r = b.run(["-c", b.cfg, "--once", "ids"],
                  stdin="<iq type='get' id='1' from='a@b/c'><q xmlns='x'/></iq>")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("started as root without [daemon] user", r.stderr)
        self.assertNotIn("uid=", r.stdout)

    def test_explicit_root_runs_handlers_as_root(self):
        b = self.bridge("asroot", "user = root")
        b.start()
        self.assertIn("handlers run as root", b.read_log())
        uid, _gid, _groups = self.ask_ids(b)
        self.assertEqual(uid, 0)

    def test_once_drops_too(self):
        b = self.bridge("once", "user = %s" % self.user.pw_name)
        r = b.run(["-c", b.cfg, "--once", "ids"],
                  stdin="<iq type='get' id='1' from='a@b/c'><q xmlns='x'/></iq>")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("uid=%d " % self.user.pw_uid, r.stdout)

    def test_unreadable_cafile_is_named(self):
        b = self.bridge("cafile", "user = %s" % self.user.pw_name)
        ca = os.path.join(b.dir, "private-ca.pem")
        with open(self.prosody.ca) as src, open(ca, "w") as dst:
            dst.write(src.read())
        os.chmod(ca, 0o600)
        b.edit_config(lambda text: text.replace("cafile = %s" % self.prosody.ca,
                                                "cafile = %s" % ca))
        r = b.run(["-c", b.cfg], timeout=15)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cafile %s is not readable by user %s" % (ca, self.user.pw_name),
                      r.stderr)


class Config(unittest.TestCase):
    def check(self, daemon):
        d = h.make_tempdir("xmpp-cgi-privdrop-")
        cfg = os.path.join(d, "x.conf")
        with open(cfg, "w") as f:
            f.write("[xmpp]\njid = b@localhost\npassword = x\n\n"
                    "[route \"ids\"]\ncgi = %s\n\n[daemon]\n%s\n" % (IDS, daemon))
        return cfg, h.run_bridge(["--check", "-c", cfg])

    def test_unknown_user_named_with_file_and_line(self):
        cfg, r = self.check("user = no-such-user-xcgi")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:9: user 'no-such-user-xcgi' does not exist" % cfg, r.stderr)

    def test_unknown_group_named_with_file_and_line(self):
        cfg, r = self.check("user = root\ngroup = no-such-group-xcgi")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:10: group 'no-such-group-xcgi' does not exist" % cfg, r.stderr)

    def test_group_without_user(self):
        cfg, r = self.check("group = nogroup")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:8: [daemon] needs user = NAME" % cfg, r.stderr)

    def test_unknown_key(self):
        cfg, r = self.check("user = root\nchroot = /srv")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:10: unknown key 'chroot' in [daemon]" % cfg, r.stderr)


def h_gid(name):
    import grp
    return grp.getgrnam(name).gr_gid


if __name__ == "__main__":
    unittest.main()
