# e2e: ad-hoc commands (XEP-0050) with data forms (XEP-0004), driven by slixmpp's
# own xep_0050 client against a real Prosody and the bridge in client mode. Routes
# with `command = yes` run tests/e2e/scripts/adhoc.py (its behaviour chosen by
# XMPP_ADHOC_NODE; every stage it sees is dumped as a JSON line). Covered: the
# commands list and the allow list, disco#info on a command node, a one-stage
# command, a two-stage command (form, then completion with the fields as urlencoded
# POST data), a three-stage one with next/prev and the actions the handler allowed,
# multi-valued fields repeated, cancel, a session timing out, a session used by
# another person, an error status (4xx: canceled with a note; 5xx: iq error), the
# bridge's own status and reload commands for [xmpp] admins, a
# malformed form and a bad Command-Actions header from the handler, and the form
# data as PHP ($_POST), CGI.pm (param) and Flask (request.form) read it, and the
# example cgi-examples/weather.sh (forms written with cgi-examples/xmpp-form.sh).
#
# Last, a person's terminal client: profanity (Debian's 0.13) in a tmux session
# of its own (own socket, throwaway HOME), logged in to the test Prosody over
# STARTTLS ("tls trust": the throwaway CA is not in any store), runs /cmd list
# and /cmd exec weather, fills the form (/field1 Paris, /form submit) and
# shows the answer; the screen is read with `tmux capture-pane -p`, every wait
# is bounded, and the tmux server is killed at the end. Prosody loads mod_adhoc
# because profanity looks for the commands feature on the server first.

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import unittest

import component as comp
import harness as h
from harness import Route

NS_CMD = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
ADHOC = h.script("adhoc.py")
PHP_CGI = "/usr/bin/php-cgi"


class Fixture:
    def __init__(self):
        # mod_adhoc: profanity asks the server for the commands feature first
        self.prosody = h.Prosody(modules=("adhoc",))
        self.prosody.start()
        self.dir = os.path.join(self.prosody.dir, "adhoc")
        os.makedirs(self.dir, exist_ok=True)
        self.dump = os.path.join(self.dir, "stages.jsonl")
        dump = ["ADHOC_DUMP=%s" % self.dump]

        def cmd(name, desc, **kw):
            return Route(name, kw.pop("cgi", ADHOC), env=dump, command="yes",
                         description=desc, **kw)
        routes = [
            cmd("greet", "Say hello"),
            cmd("survey", "Survey"),
            cmd("slowsurvey", "Survey that times out", command_node="slow-survey",
                command_timeout="1"),
            cmd("wizard", "Wizard"),
            cmd("refuse", "Refuses"),
            cmd("broken", "Breaks"),
            cmd("badform", "Bad form"),
            cmd("notxml", "Not XML"),
            cmd("badactions", "Bad actions"),
            cmd("secret", "Alice only", command_node="greet-secret",
                allow="alice@localhost"),
            Route("plain", h.script("echo.sh")),
            cmd("cgipm", "CGI.pm", cgi=h.script("adhoc_cgipm.pl")),
            Route("weather", os.path.join(h.EXAMPLES, "weather.sh"), command="yes",
                  description="Weather"),
            cmd("flask", "Flask", cgi=h.script("adhoc_flask.py")),
        ]
        if os.access(PHP_CGI, os.X_OK):
            routes.append(cmd("php", "PHP", cgi=h.script("adhoc_php.php"),
                              interpreter=PHP_CGI))
        self.bridge = h.Bridge(self.prosody, routes,
                               extra_xmpp={"admins": "alice@localhost"})
        self.bridge.start()
        # the same commands on a component: one JID per route, and the domain
        self.component = comp.ComponentBridge(self.prosody, [
            Route("weather", os.path.join(h.EXAMPLES, "weather.sh"), command="yes",
                  description="Weather"),
            cmd("survey", "Survey")])
        self.component.start()
        self.alice = self.client("alice@localhost")
        self.bob = self.client("bob@localhost")

    def client(self, jid):
        c = h.Client(self.prosody, jid)
        c._call(lambda: c.xmpp.register_plugin("xep_0050"))
        return c

    def close(self):
        for c in ("alice", "bob"):
            if getattr(self, c, None):
                getattr(self, c).close()
        self.bridge.stop()
        self.component.stop()
        self.prosody.stop()


_fixture = h.ModuleFixture(Fixture, "ad-hoc fixture")
tearDownModule = _fixture.close


def run(client, fn, timeout=30):
    """Await fn() on the client's loop; an IqError gives its error iq."""
    from slixmpp.exceptions import IqError, IqTimeout

    async def wrap():
        try:
            return await fn()
        except IqError as e:
            return e.iq
        except IqTimeout:
            return None
    return asyncio.run_coroutine_threadsafe(wrap(), client.loop).result(timeout)


class Answer:
    """A command answer: status, sessionid, actions, notes, form fields, or the
    error condition and application condition."""

    def __init__(self, iq):
        if iq is None:
            raise AssertionError("no answer (timeout)")
        self.xml = iq.xml
        self.type = iq["type"]
        c = self.xml.find("{%s}command" % NS_CMD)
        self.status = c.get("status") if c is not None else None
        self.sessionid = c.get("sessionid") if c is not None else None
        self.node = c.get("node") if c is not None else None
        self.actions, self.execute, self.notes, self.form = [], None, [], None
        if c is not None:
            a = c.find("{%s}actions" % NS_CMD)
            if a is not None:
                self.execute = a.get("execute")
                self.actions = [e.tag.split("}")[1] for e in a]
            self.notes = [(n.get("type"), (n.text or "").strip())
                          for n in c.findall("{%s}note" % NS_CMD)]
            self.form = c.find("{%s}x" % NS_DATA)
        self.condition = self.app = self.text = None
        err = self.xml.find("{jabber:client}error")
        if err is not None:
            for e in err:
                ns, tag = e.tag[1:].split("}")
                if ns == NS_STANZAS and tag == "text":
                    self.text = e.text
                elif ns == NS_STANZAS:
                    self.condition = tag
                elif ns == NS_CMD:
                    self.app = tag

    def fields(self):
        return [f.get("var") for f in self.form.findall("{%s}field" % NS_DATA)]

    def __repr__(self):
        return "<Answer %s>" % h.pretty(str(self.xml))


class AdHoc(unittest.TestCase):
    def setUp(self):
        self.f = _fixture.get()

    def jid(self, route):
        return "%s/%s" % (self.f.bridge.jid, route)

    def stage(self, client, route, node, action="execute", sessionid=None,
              fields=None, to=None):
        x = client.xmpp

        async def go():
            payload = None
            if fields is not None:
                payload = x["xep_0004"].make_form(ftype="submit")
                for var, val in fields.items():
                    payload.add_field(var=var, value=val,
                                      ftype="list-multi" if isinstance(val, list) else None)
            return await x["xep_0050"].send_command(
                to or self.jid(route), node, action=action, payload=payload,
                sessionid=sessionid, timeout=20)
        return Answer(run(client, go))

    def stages(self, since=0):
        if not os.path.exists(self.f.dump):
            return []
        with open(self.f.dump) as fh:
            return [json.loads(line) for line in fh.readlines()[since:]]

    def mark(self):
        return len(self.stages())

    def commands(self, client, jid):
        async def go():
            return await client.xmpp["xep_0050"].get_commands(jid, timeout=20)
        iq = run(client, go)
        self.assertEqual(iq["type"], "result", iq)
        return {i[1]: (str(i[0]), i[2]) for i in iq["disco_items"]["items"]}

    # -- listing -------------------------------------------------------------

    def test_listing_respects_allow(self):
        alice = self.commands(self.f.alice, self.jid("greet"))
        bob = self.commands(self.f.bob, self.jid("greet"))
        self.assertEqual(alice["greet"], (self.jid("greet"), "Say hello"))
        self.assertEqual(alice["slow-survey"][0], self.jid("slowsurvey"))
        self.assertIn("greet-secret", alice)
        self.assertNotIn("greet-secret", bob)
        self.assertIn("greet", bob)
        self.assertNotIn("plain", alice)  # a route without command = yes
        # and bob cannot run it by guessing its node
        a = self.stage(self.f.bob, "secret", "greet-secret")
        self.assertEqual((a.type, a.condition), ("error", "forbidden"))
        a = self.stage(self.f.alice, "secret", "greet-secret")
        self.assertEqual(a.status, "completed")

    def test_disco_info(self):
        async def info(node):
            return await self.f.alice.xmpp["xep_0030"].get_info(
                self.jid("greet"), node=node, timeout=20)
        iq = run(self.f.alice, lambda: info(None))
        self.assertIn(NS_CMD, iq["disco_info"]["features"])
        iq = run(self.f.alice, lambda: info("survey"))
        self.assertEqual(iq["type"], "result")
        self.assertIn(("automation", "command-node", None, "Survey"),
                      iq["disco_info"]["identities"])
        self.assertIn(NS_DATA, iq["disco_info"]["features"])
        iq = run(self.f.bob, lambda: self.f.bob.xmpp["xep_0030"].get_info(
            self.jid("greet"), node="greet-secret", timeout=20))
        self.assertEqual(iq["type"], "error")
        self.assertEqual(iq["error"]["condition"], "item-not-found")

    # -- stages --------------------------------------------------------------

    def test_one_stage(self):
        m = self.mark()
        a = self.stage(self.f.alice, "greet", "greet")
        self.assertEqual((a.type, a.status, a.node), ("result", "completed", "greet"))
        self.assertEqual(a.notes, [("info", "Hello, alice@localhost!")])
        self.assertEqual(len(a.sessionid), 32)
        s = self.stages(m)[-1]
        self.assertEqual(s["XMPP_ADHOC_ACTION"], "execute")
        self.assertEqual(s["XMPP_ADHOC_SESSION"], a.sessionid)
        self.assertEqual(s["REQUEST_METHOD"], "POST")
        self.assertEqual(s["CONTENT_TYPE"], "application/x-www-form-urlencoded")
        self.assertEqual((s["CONTENT_LENGTH"], s["body"]), ("0", ""))
        self.assertIn("<command", s["stanza"])

    def test_two_stages_form_then_complete(self):
        m = self.mark()
        a = self.stage(self.f.alice, "survey", "survey")
        self.assertEqual((a.status, a.actions, a.execute), ("executing", ["complete"], "complete"))
        self.assertEqual(a.fields(), ["name", "colors"])
        self.assertEqual(a.form.get("type"), "form")
        b = self.stage(self.f.alice, "survey", "survey", "complete", a.sessionid,
                       {"name": "Ann Lee & co", "colors": ["red", "blue"]})
        self.assertEqual((b.status, b.sessionid), ("completed", a.sessionid))
        self.assertEqual(b.notes, [("info", "name=Ann Lee & co colors=red,blue")])
        last = self.stages(m)[-1]
        self.assertEqual(last["XMPP_ADHOC_ACTION"], "complete")
        # multi-valued fields repeat, as a browser's <select multiple>
        self.assertEqual(last["body"], "name=Ann+Lee+%26+co&colors=red&colors=blue")
        # the session is over: a further stage is refused
        c = self.stage(self.f.alice, "survey", "survey", "complete", a.sessionid, {})
        self.assertEqual((c.condition, c.app), ("bad-request", "bad-sessionid"))

    def test_three_stages_next_prev(self):
        a = self.stage(self.f.alice, "wizard", "wizard")
        self.assertEqual((a.status, a.actions, a.execute), ("executing", ["next"], "next"))
        # complete is not among the actions this stage allows
        bad = self.stage(self.f.alice, "wizard", "wizard", "complete", a.sessionid, {"a": "1"})
        self.assertEqual((bad.condition, bad.app), ("bad-request", "bad-action"))
        b = self.stage(self.f.alice, "wizard", "wizard", "next", a.sessionid,
                       {"step": "1", "a": "x"})
        self.assertEqual((b.status, b.actions, b.execute),
                         ("executing", ["prev", "complete"], "complete"))
        back = self.stage(self.f.alice, "wizard", "wizard", "prev", a.sessionid)
        self.assertEqual((back.status, back.actions), ("executing", ["next"]))
        b = self.stage(self.f.alice, "wizard", "wizard", "execute", a.sessionid,
                       {"step": "1", "a": "x"})  # execute: the default action, next
        self.assertEqual(b.actions, ["prev", "complete"])
        c = self.stage(self.f.alice, "wizard", "wizard", "execute", a.sessionid,
                       {"step": "2", "b": "y"})
        self.assertEqual(c.status, "completed")
        self.assertEqual(c.form.get("type"), "result")

    def test_cancel(self):
        m = self.mark()
        a = self.stage(self.f.alice, "survey", "survey")
        self.assertEqual(a.status, "executing")
        b = self.stage(self.f.alice, "survey", "survey", "cancel", a.sessionid)
        self.assertEqual((b.type, b.status, b.sessionid), ("result", "canceled", a.sessionid))
        self.assertEqual(self.stages(m)[-1]["XMPP_ADHOC_ACTION"], "cancel")
        c = self.stage(self.f.alice, "survey", "survey", "complete", a.sessionid, {})
        self.assertEqual(c.app, "bad-sessionid")

    def test_session_timeout(self):
        since = self.f.bridge.log_size()
        a = self.stage(self.f.alice, "slowsurvey", "slow-survey")
        self.assertEqual(a.status, "executing")
        self.assertTrue(self.f.bridge.wait_log("session timed out", 15, since))
        b = self.stage(self.f.alice, "slowsurvey", "slow-survey", "complete",
                       a.sessionid, {"name": "late"})
        self.assertEqual((b.type, b.condition, b.app),
                         ("error", "not-allowed", "session-expired"))

    def test_session_belongs_to_its_owner(self):
        a = self.stage(self.f.alice, "survey", "survey")
        b = self.stage(self.f.bob, "survey", "survey", "complete", a.sessionid, {"name": "x"})
        self.assertEqual((b.condition, b.app), ("bad-request", "bad-sessionid"))
        c = self.stage(self.f.alice, "survey", "survey", "complete", a.sessionid, {"name": "a"})
        self.assertEqual(c.status, "completed")

    def test_error_status_4xx_cancels_with_a_note(self):
        a = self.stage(self.f.alice, "refuse", "refuse")
        self.assertEqual((a.type, a.status), ("result", "canceled"))
        self.assertEqual(a.notes, [("error", "not today")])

    def test_error_status_5xx_is_an_iq_error(self):
        a = self.stage(self.f.alice, "broken", "broken")
        self.assertEqual((a.type, a.condition, a.text),
                         ("error", "internal-server-error", "it broke"))

    def test_malformed_form(self):
        for route in ("badform", "notxml", "badactions"):
            a = self.stage(self.f.alice, route, route)
            self.assertEqual((a.type, a.condition), ("error", "internal-server-error"), route)
            self.assertTrue(a.text, route)
        self.assertTrue(self.f.bridge.alive())

    def test_unknown_node_and_bad_action(self):
        a = self.stage(self.f.alice, "greet", "no-such-command")
        # no command has that node: the route's handler gets it as a plain iq
        # (the script answers a stanza without XMPP_ADHOC_NODE with 404)
        self.assertEqual((a.type, a.condition), ("error", "item-not-found"))
        a = self.stage(self.f.alice, "greet", "greet", "jump")
        self.assertEqual((a.condition, a.app), ("bad-request", "malformed-action"))

    # -- the example: cgi-examples/weather.sh with xmpp-form.sh ---------------

    def test_weather_example(self):
        a = self.stage(self.f.alice, "weather", "weather")
        self.assertEqual((a.status, a.fields()), ("executing", ["city"]))
        b = self.stage(self.f.alice, "weather", "weather", "complete", a.sessionid,
                       {"city": " Paris"})
        self.assertEqual(b.status, "completed")
        self.assertEqual(b.notes, [("info", "Paris: sunny, 21 °C, light wind from the west")])
        # a city it does not know: the form again, with the cities it knows
        a = self.stage(self.f.alice, "weather", "weather")
        b = self.stage(self.f.alice, "weather", "weather", "complete", a.sessionid,
                       {"city": "Atlantis <&>"})
        self.assertEqual(b.status, "executing")
        self.assertIn("Atlantis <&>", b.form.find("{%s}instructions" % NS_DATA).text)
        opts = b.form.findall("{%s}field/{%s}option/{%s}value" % (NS_DATA, NS_DATA, NS_DATA))
        self.assertIn("oslo", [o.text for o in opts])
        c = self.stage(self.f.alice, "weather", "weather", "complete", a.sessionid,
                       {"city": "oslo"})
        self.assertEqual(c.notes, [("info", "Oslo: snow, -3 °C")])

    # -- the bridge's own commands, for [xmpp] admins ------------------------

    def test_bridge_commands(self):
        status, reload = "urn:xmpp-cgi:status", "urn:xmpp-cgi:reload"
        listed = self.commands(self.f.alice, self.jid("greet"))
        self.assertEqual(listed[status], (self.jid("greet"), "Route status"))
        self.assertEqual(listed[reload], (self.jid("greet"), "Reload the configuration"))
        self.assertNotIn(status, self.commands(self.f.bob, self.jid("greet")))
        a = self.stage(self.f.bob, "greet", status)
        self.assertEqual((a.type, a.condition), ("error", "forbidden"))
        self.stage(self.f.alice, "greet", "greet")  # one request at least
        a = self.stage(self.f.alice, "greet", status)
        self.assertEqual((a.type, a.status), ("result", "completed"))
        lines = a.notes[0][1].splitlines()
        greet = [line for line in lines if line.startswith("greet: ")]
        self.assertEqual(len(greet), 1, lines)
        self.assertRegex(greet[0], r"^greet: cgi, \d+ running, \d+ queued, [1-9]\d* requests, "
                                   r"\d+ timeouts, \d+ command sessions$")
        self.assertRegex(lines[-1], r"in flight, 0 routes draining, \d+ command sessions open")
        since = self.f.bridge.log_size()
        a = self.stage(self.f.alice, "greet", reload)
        self.assertEqual(a.status, "completed")
        self.assertIn("Reloading", a.notes[0][1])
        self.assertTrue(self.f.bridge.wait_log("reloaded ", 15, since))
        # the bridge still answers after its reload
        self.assertEqual(self.stage(self.f.alice, "greet", "greet").status, "completed")

    # -- component mode ------------------------------------------------------

    def test_component(self):
        dom = self.f.component.component
        listed = self.commands(self.f.alice, dom)
        self.assertEqual(listed, {"weather": ("weather@%s" % dom, "Weather"),
                                  "survey": ("survey@%s" % dom, "Survey")})
        self.assertEqual(self.commands(self.f.alice, "survey@%s" % dom), listed)
        # at the item's JID, and at the component's own address (found by node)
        for to in ("weather@%s" % dom, dom):
            a = self.stage(self.f.alice, None, "weather", to=to)
            self.assertEqual(a.status, "executing", to)
            b = self.stage(self.f.alice, None, "weather", "complete", a.sessionid,
                           {"city": "Lisbon"}, to=to)
            self.assertEqual(b.notes, [("info", "Lisbon: clear, 26 °C")], to)
        # the component itself still runs no handler for other iqs
        a = self.stage(self.f.alice, None, "no-such-node", to=dom)
        self.assertEqual((a.type, a.condition), ("error", "service-unavailable"))

    # -- frameworks read the form as a browser's POST -------------------------

    def framework(self, route, colors_var="colors"):
        a = self.stage(self.f.alice, route, route)
        self.assertEqual(a.status, "completed", a)
        b = self.stage(self.f.alice, route, route, "execute", None,
                       {"name": "Zoë", colors_var: ["red", "green"]})
        self.assertEqual(b.status, "completed", b)
        return b.notes

    def test_cgipm_param(self):
        self.assertEqual(self.framework("cgipm"),
                         [("info", "cgipm name=Zoë colors=red,green action=execute")])

    def test_flask_request_form(self):
        self.assertEqual(self.framework("flask"),
                         [("info", "flask name=Zoë colors=red,green action=execute")])

    @unittest.skipUnless(os.access(PHP_CGI, os.X_OK), "php-cgi missing (Debian php-cgi)")
    def test_php_post(self):
        # PHP reads a repeated field as a list only when its name ends in [],
        # as with an HTML form
        self.assertEqual(self.framework("php", "colors[]"),
                         [("info", "php name=Zoë colors=red,green action=execute")])


class Profanity(unittest.TestCase):
    """The weather command from profanity's /cmd, as a person runs it."""

    WAIT = 20  # seconds for any one thing to appear on the screen

    def setUp(self):
        for tool, pkg in (("profanity", "profanity"), ("tmux", "tmux")):
            if not shutil.which(tool):
                self.fail("%s is missing (Debian package %s; scripts/install-deps.sh "
                          "installs it)" % (tool, pkg))
        self.f = _fixture.get()
        self.home = h.make_tempdir("xmpp-cgi-profanity-")
        self.sock = os.path.join(self.home, "tmux.sock")  # goes with the HOME
        self.env = {"HOME": self.home, "TERM": "xterm-256color", "LANG": "C.UTF-8",
                    "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": self.home + "/.config",
                    "XDG_DATA_HOME": self.home + "/.local/share"}
        self.tmux("new-session", "-d", "-s", "p", "-x", "200", "-y", "60", "profanity")
        self.addCleanup(self.kill_tmux)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", *args],
                              env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=20,
                              check=True).stdout

    def kill_tmux(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "p", "-S", "-200")

    def type(self, line):
        self.tmux("send-keys", "-t", "p", "-l", line)
        self.tmux("send-keys", "-t", "p", "Enter")

    def wait_screen(self, pattern, since=""):
        """The screen once pattern appears after the text `since` ends."""
        deadline = time.monotonic() + self.WAIT
        while True:
            text = self.screen()
            tail = text[text.rfind(since) + len(since):] if since else text
            if re.search(pattern, tail):
                return text
            if time.monotonic() > deadline:
                self.fail("%r not on profanity's screen after %ss:\n%s"
                          % (pattern, self.WAIT, text))
            time.sleep(0.2)

    NO_COMMANDS = "Server does not support ad hoc commands"

    def cmd_list(self, jid):
        """/cmd list, again while profanity has not yet learnt the server's features:
        right after login it may still be waiting for the server's disco#info answer
        and then refuses /cmd with NO_COMMANDS (seen under load)."""
        listed = r"Ad hoc commands:(\n.*!\s+\S+)+\n.*!\s*\n"
        deadline = time.monotonic() + self.WAIT
        while True:
            refusals = self.screen().count(self.NO_COMMANDS)
            self.type("/cmd list %s" % jid)
            while True:
                text = self.screen()
                if re.search(listed, text):
                    return text
                if text.count(self.NO_COMMANDS) > refusals:
                    break  # asked too early: ask again
                if time.monotonic() > deadline:
                    self.fail("%r not on profanity's screen after %ss:\n%s"
                              % (listed, self.WAIT, text))
                time.sleep(0.2)
            if time.monotonic() > deadline:
                self.fail("profanity still says %r after %ss:\n%s"
                          % (self.NO_COMMANDS, self.WAIT, text))
            time.sleep(0.5)

    def test_cmd_list_and_exec(self):
        self.wait_screen(r"Profanity")
        self.type("/connect alice@localhost server 127.0.0.1 port %d tls trust"
                  % self.f.prosody.c2s_port)
        self.wait_screen(r"Enter password")
        self.type(h.PASSWORD)
        self.wait_screen(r"alice@localhost/\S+ logged in successfully")
        jid = "%s/weather" % self.f.bridge.jid
        text = self.cmd_list(jid)
        listed = re.findall(r"!\s+(\S+)\s*$", text.split("Ad hoc commands:")[-1], re.M)
        self.assertIn("weather", listed)
        self.assertIn("greet-secret", listed)  # alice is on its allow list
        self.type("/cmd exec weather %s" % jid)
        self.wait_screen(r"\[field1\] City")
        self.type("/field1 Paris")
        self.type("/form submit")
        self.wait_screen(r"weather completed")
        self.wait_screen(r"Paris: sunny, 21 °C")
        self.type("/quit")


if __name__ == "__main__":
    unittest.main()
