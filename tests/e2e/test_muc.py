# e2e: group chats as routes (XEP-0045) on a private Prosody with its MUC service
# (harness.Prosody(muc=True): Component "conference.localhost" "muc", rooms persistent
# by default). Occupants are slixmpp clients (harness.Client) with slixmpp's XEP-0045
# plugin (join, kick, destroy); the bridge's route joins the rooms named by `rooms =`.
#
# Covered: each trigger mode (prefix, mention, every message), history not served (the
# bridge asks for none, and a message carrying a delay stamp is not served either), the
# bridge's own messages not served, anonymous and non-anonymous rooms with
# room_anonymous and the allow list on real JIDs (a hidden occupant's private message
# refused), a password-protected room (room_password_file, right and wrong), replies in
# the room (text and an XML payload), errors in the room and privately, private
# messages from occupants, rejoin after a kick, a destroyed and re-made room and a
# Prosody restart, self-ping finding a ghost state (the room made to forget the bridge
# silently by the test-only Prosody module tests/e2e/prosody/mod_e2e_muc_ghost.lua), a
# nick conflict, the rate limit and the loop guard, xmpp-cgi-send posting to a room, a
# reload changing the rooms, component mode, the room-bot example, and ejabberd's
# mod_muc (tests/e2e/ejabberd.py with muc=True). Every wait is bounded; nothing is
# timed.

import asyncio
import glob
import os
import signal
import subprocess
import unittest

import control_client as cc
import harness as h
from slixmpp import JID
from harness import Route, script

NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = NS_MUC + "#user"
NS_OWNER = NS_MUC + "#owner"
SERVICE = h.MUC_DOMAIN
WAIT = 30


_prosody = h.ModuleProsody(muc=True)
prosody = _prosody.get


def tearDownModule():
    _prosody.stop()


_rooms = [0]


def new_room(stem):
    _rooms[0] += 1
    return "%s%d-%d@%s" % (stem, os.getpid(), _rooms[0], SERVICE)


def child(st, ns, name):
    return st.el.find("{%s}%s" % (ns, name))


def body_of(st):
    b = st.el.find("{%s}body" % h.NS_CLIENT)
    return b.text if b is not None else None


def status_codes(st):
    x = child(st, NS_USER, "x")
    return set() if x is None else {s.get("code") for s in x.findall("{%s}status" % NS_USER)}


class Occupant:
    """A slixmpp client with its XEP-0045 plugin, as an occupant of rooms."""

    def __init__(self, prosody, jid, resource="muc"):
        self.c = h.Client(prosody, jid, resource=resource)
        self.bare = jid
        self.c._call(lambda: self.c.xmpp.register_plugin("xep_0045"))
        self.muc = self.c.xmpp.plugin["xep_0045"]

    def close(self):
        self.c.close()

    def run(self, coro, timeout=WAIT):
        """Run a coroutine of the plugin on the client's loop; its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.c.loop).result(timeout + 5)

    def join(self, room, nick, form=None):
        """Join room as nick (the plugin's join_muc_wait: the self-presence, the
        history and the subject); a room the join creates is configured with form
        (field -> value) or accepted as it is. Returns the self-presence."""
        from slixmpp.exceptions import PresenceError
        try:
            me = self.run(self.muc.join_muc_wait(JID(room), nick, timeout=WAIT))[0]
        except PresenceError as e:
            raise h.HarnessError("%s could not join %s: %s" % (self.bare, room, e))
        if 201 in me["muc"]["status_codes"] or form:
            self.configure(room, form or {})
        return me

    def kick(self, room, nick, reason):
        return self.run(self.muc.set_role(JID(room), nick, "none", reason=reason))

    def destroy(self, room, reason):
        return self.run(self.muc.destroy(JID(room), reason=reason))

    def configure(self, room, form):
        fields = "".join("<field var='%s'><value>%s</value></field>" % kv for kv in form.items())
        r = self.c.query(room, "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                         "<field var='FORM_TYPE'><value>%s#roomconfig</value></field>%s"
                         "</x></query>" % (NS_OWNER, NS_MUC, fields), type="set")
        if r.type != "result":
            raise h.HarnessError("room configuration refused: " + r.xml)

    def say(self, room, text, id, extra=""):
        self.c.send_raw("<message type='groupchat' to='%s' id='%s'><body>%s</body>%s</message>"
                        % (room, id, text, extra))

    def wait_room(self, room, pred, since, timeout=WAIT):
        return self.c.wait_for(lambda s: s.kind == "message" and s.type == "groupchat"
                               and (s.frm or "").startswith(room + "/") and pred(s),
                               timeout, since)


class MucBase(unittest.TestCase):
    def setUp(self):
        self.prosody = prosody()
        self.cleanups = []
        self.dump = h.make_tempdir("xmpp-cgi-muc-dump-")

    def tearDown(self):
        h.run_cleanups(self.cleanups)

    def occupant(self, jid="alice@localhost", resource="muc"):
        o = Occupant(self.prosody, jid, resource)
        self.cleanups.append(o.close)
        return o

    def route(self, name, rooms, **opts):
        opts.setdefault("rooms", rooms)
        return Route(name, script("muc.sh"), env=["DUMP_DIR=%s" % self.dump], **opts)

    def bridge(self, routes, name=None):
        b = h.Bridge(self.prosody, routes, name=name or self.id().split(".")[-1])
        self.cleanups.append(b.stop)
        b.start()
        return b

    def wait_joined(self, b, route, room, since=0, nick=None):
        needle = "route %s: joined room %s as %s" % (route, room, nick or route)
        self.assertTrue(b.wait_log(needle, WAIT, since),
                        "%r not logged:\n%s" % (needle, h.tail(b.log)))

    def served(self, id):
        return os.path.exists(os.path.join(self.dump, id + ".env"))

    def env(self, id):
        with open(os.path.join(self.dump, id + ".env"), "rb") as f:
            pairs = [v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v]
        return {k.decode(): v.decode() for k, v in pairs}

    def n_served(self):
        return len(glob.glob(os.path.join(self.dump, "*.env")))

    def ask(self, who, room, text, id, reply_to=None, want=None):
        """Say text in room; return the bridge's groupchat answer (from nick weather,
        or reply_to; with want, the first one whose body is want)."""
        since = who.c.mark()
        who.say(room, text, id)
        frm = "%s/%s" % (room, reply_to or "weather")
        got = who.wait_room(room, lambda s: s.frm == frm and want in (None, body_of(s)), since)
        self.assertIsNotNone(got, "no answer in the room to %r:\n%s" % (text, h.tail(self.b.log)))
        return got


class Triggers(MucBase):
    def test_prefix_mode_replies_in_room_and_environment(self):
        room = new_room("prefix")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        got = self.ask(alice, room, "!weather new york", "p1")
        self.assertEqual(body_of(got), "heard alice: new york")
        self.assertNotEqual(got.id, "p1", "the answer reuses the speaker's id")
        env = self.env("p1")
        self.assertEqual(env["XMPP_MUC_ROOM"], room)
        self.assertEqual(env["XMPP_MUC_NICK"], "alice")
        self.assertEqual(env["XMPP_MUC_SELF"], "weather")
        self.assertEqual(env["XMPP_MUC_ARGS"], "new york")
        self.assertEqual(env["QUERY_STRING"], "new%20york")
        self.assertEqual(env["XMPP_STANZA_TYPE"], "groupchat")
        # Prosody's default room shows real JIDs to moderators only: hidden from the bridge
        self.assertNotIn("REMOTE_USER", env)
        self.assertNotIn("XMPP_MUC_REAL_JID", env)
        # not the prefix: not served; the next command still is
        alice.say(room, "!weatherman x", "p2")
        alice.say(room, "weather please", "p3")
        got = self.ask(alice, room, "!weather", "p4")
        self.assertEqual(body_of(got), "heard alice: ")
        self.assertFalse(self.served("p2") or self.served("p3"))

    def test_xml_payload_answer(self):
        room = new_room("xml")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        got = self.ask(alice, room, "!weather xml", "x1")
        x = got.el.find("{urn:e2e:muc}x")
        self.assertIsNotNone(x, got.xml)
        self.assertEqual(x.text, "payload")

    def test_mention_mode(self):
        room = new_room("mention")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        alice.say(room, "hello everyone", "m1")
        alice.say(room, "the weatherman said", "m2")
        got = self.ask(alice, room, "weather: paris", "m3")
        self.assertEqual(body_of(got), "heard alice: paris")
        got = self.ask(alice, room, "what does Weather think?", "m4")
        self.assertEqual(body_of(got), "heard alice: what does Weather think?")
        self.assertFalse(self.served("m1") or self.served("m2"))

    def test_every_message_but_not_its_own(self):
        room = new_room("all")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="all",
                                         room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        got = self.ask(alice, room, "first", "a1")
        self.assertEqual(body_of(got), "heard alice: first")
        # the bridge's answer came back to it as a room message; the next answer is to
        # "second", not to "heard alice: first"
        got = self.ask(alice, room, "second", "a2")
        self.assertEqual(body_of(got), "heard alice: second")
        self.assertEqual(self.n_served(), 2)
        self.assertNotIn("heard weather", self.b.read_log())

    def test_history_not_served(self):
        room = new_room("history")
        alice = self.occupant()
        alice.join(room, "alice")
        alice.say(room, "!weather old", "h1")  # in the room's history before the join
        self.assertIsNotNone(alice.wait_room(room, lambda s: s.id == "h1", 0))
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        # a message with a delay stamp is history too, whoever sent it
        since = alice.c.mark()
        alice.say(room, "!weather stamped", "h2",
                  "<delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/>")
        self.assertIsNotNone(alice.wait_room(room, lambda s: s.id == "h2", since))
        got = self.ask(alice, room, "!weather new", "h3")
        self.assertEqual(body_of(got), "heard alice: new")
        self.assertFalse(self.served("h1"), "history was served")
        self.assertFalse(self.served("h2"), "a delayed message was served")


class Occupants(MucBase):
    def test_anonymous_room_needs_room_anonymous(self):
        room = new_room("anon")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix"),
                              self.route("open", room, room_trigger="prefix",
                                         room_anonymous="yes")])
        self.wait_joined(self.b, "weather", room)
        self.wait_joined(self.b, "open", room)
        since = self.b.log_size()
        alice.say(room, "!weather x", "n1")
        self.assertTrue(self.b.wait_log("alice (real JID hidden) may not run this route", WAIT,
                                        since), h.tail(self.b.log))
        got = self.ask(alice, room, "!open y", "n2", reply_to="open")
        self.assertEqual(body_of(got), "heard alice: y")
        self.assertFalse(self.served("n1"))
        # a private message from a hidden occupant: refused like any sender the
        # route does not admit
        since = alice.c.mark()
        alice.c.send_raw("<message type='chat' to='%s/weather' id='n3'><body>hi</body>"
                         "</message>" % room)
        err = alice.c.wait_for(lambda s: s.kind == "message" and s.id == "n3", WAIT, since)
        self.assertIsNotNone(err, h.tail(self.b.log))
        self.assertEqual(err.type, "error", err.xml)
        self.assertEqual(err.error()[1], "forbidden", err.xml)
        self.assertFalse(self.served("n3"))

    def test_password_protected_room(self):
        room = new_room("secret")
        alice = self.occupant()
        alice.join(room, "alice", form={"muc#roomconfig_passwordprotectedroom": "1",
                                        "muc#roomconfig_roomsecret": "opensesame"})
        good = os.path.join(self.dump, "room.pw")
        bad = os.path.join(self.dump, "wrong.pw")
        with open(good, "w") as f:
            f.write("opensesame\n")
        with open(bad, "w") as f:
            f.write("guess\n")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes", room_password_file=good),
                              self.route("wrong", room, room_password_file=bad)])
        self.wait_joined(self.b, "weather", room)
        self.assertTrue(self.b.wait_log("route wrong: cannot join room %s: not-authorized" % room,
                                        WAIT), h.tail(self.b.log))
        got = self.ask(alice, room, "!weather pw", "pw1")
        self.assertEqual(body_of(got), "heard alice: pw")

    def test_non_anonymous_room_real_jid_and_allow(self):
        room = new_room("nonanon")
        alice = self.occupant()
        bob = self.occupant("bob@localhost")
        alice.join(room, "alice", form={"muc#roomconfig_whois": "anyone"})
        bob.join(room, "bob")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         allow="alice@localhost")])
        self.wait_joined(self.b, "weather", room)
        got = self.ask(alice, room, "!weather sun", "r1")
        self.assertEqual(body_of(got), "heard alice: sun")
        env = self.env("r1")
        self.assertEqual(env["REMOTE_USER"], "alice@localhost")
        self.assertEqual(env["XMPP_MUC_REAL_JID"], "alice@localhost/muc")
        since = self.b.log_size()
        bob.say(room, "!weather rain", "r2")
        self.assertTrue(self.b.wait_log("bob (bob@localhost/muc) may not run this route", WAIT,
                                        since), h.tail(self.b.log))
        self.assertFalse(self.served("r2"))

    def test_private_messages_served_like_direct_ones(self):
        room = new_room("private")
        alice = self.occupant()
        alice.join(room, "alice", form={"muc#roomconfig_whois": "anyone"})
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         message_replies="yes")])
        self.wait_joined(self.b, "weather", room)
        since = alice.c.mark()
        alice.c.send_raw("<message type='chat' to='%s/weather' id='pm1'><body>hi</body>"
                         "</message>" % room)
        got = alice.c.wait_for(lambda s: s.kind == "message" and s.type == "chat"
                               and s.frm == room + "/weather", WAIT, since)
        self.assertIsNotNone(got, h.tail(self.b.log))
        self.assertEqual(body_of(got).rstrip("\n"), "heard alice: ")
        env = self.env("pm1")
        self.assertEqual(env["REMOTE_USER"], "alice@localhost")
        self.assertEqual(env["XMPP_MUC_ROOM"], room)
        self.assertNotIn("XMPP_MUC_ARGS", env)

    def test_errors_in_the_room_or_privately(self):
        room = new_room("errors")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes"),
                              self.route("quiet", room, room_trigger="prefix",
                                         room_anonymous="yes", room_errors="private")])
        self.wait_joined(self.b, "weather", room)
        self.wait_joined(self.b, "quiet", room)
        got = self.ask(alice, room, "!weather fail", "e1")
        self.assertEqual(body_of(got), "alice: forbidden: not for you")
        self.assertNotEqual(got.type, "error")
        since = alice.c.mark()
        alice.say(room, "!quiet fail", "e2")
        got = alice.c.wait_for(lambda s: s.kind == "message" and s.type == "chat"
                               and s.frm == room + "/quiet", WAIT, since)
        self.assertIsNotNone(got, h.tail(self.b.log))
        self.assertEqual(body_of(got), "forbidden: not for you")


class StayingIn(MucBase):
    def setUp(self):
        super().setUp()
        self.room = new_room("stay")
        self.alice = self.occupant()
        self.alice.join(self.room, "alice")
        self.b = self.bridge([self.route("weather", self.room, room_trigger="prefix",
                                         room_anonymous="yes", room_ping="1")])
        self.wait_joined(self.b, "weather", self.room)

    def still_serves(self, id):
        got = self.ask(self.alice, self.room, "!weather " + id, id)
        self.assertEqual(body_of(got), "heard alice: " + id)

    def test_rejoin_after_kick(self):
        since = self.b.log_size()
        self.alice.kick(self.room, "weather", "out you go")
        self.assertTrue(self.b.wait_log("out of room %s: kicked: out you go" % self.room, WAIT,
                                        since), h.tail(self.b.log))
        self.wait_joined(self.b, "weather", self.room, since)
        self.still_serves("k1")

    def test_rejoin_after_room_destroyed_and_made_again(self):
        since = self.b.log_size()
        self.alice.destroy(self.room, "rebuild")
        self.assertTrue(self.b.wait_log("out of room %s: room destroyed: rebuild" % self.room,
                                        WAIT, since), h.tail(self.b.log))
        self.wait_joined(self.b, "weather", self.room, since)
        self.alice.join(self.room, "alice")
        self.still_serves("d1")

    def test_rejoin_after_prosody_restart(self):
        since = self.b.log_size()
        self.alice.close()
        self.prosody.restart()
        self.b.wait_online(timeout=60, since=since)
        self.wait_joined(self.b, "weather", self.room, since)
        self.alice = self.occupant()
        self.alice.join(self.room, "alice")
        self.still_serves("s1")

    def test_self_ping_finds_ghost_state(self):
        since = self.b.log_size()
        r = self.alice.c.query(SERVICE, "<query xmlns='urn:xmpp-cgi:e2e:ghost' room='%s' "
                               "nick='weather'/>" % self.room, type="set")
        self.assertEqual(r.type, "result", r.xml)
        self.assertTrue(self.b.wait_log("self-ping: room %s no longer knows weather" % self.room,
                                        WAIT, since), h.tail(self.b.log))
        self.wait_joined(self.b, "weather", self.room, since)
        self.still_serves("g1")


    def test_reload_leaves_and_joins_rooms(self):
        other = new_room("reload")
        self.alice.join(other, "alice")
        self.b.edit_config(lambda text: text.replace(
            "rooms = %s" % self.room, "rooms = %s" % other))
        since = self.b.log_size()
        self.b.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.b.wait_log("route weather: leaving room %s: no longer in the "
                                        "configuration" % self.room, WAIT, since),
                        h.tail(self.b.log))
        self.wait_joined(self.b, "weather", other, since)
        got = self.ask(self.alice, other, "!weather r1", "r1")
        self.assertEqual(body_of(got), "heard alice: r1")
        gone = self.alice.c.wait_for(lambda s: s.kind == "presence" and s.type == "unavailable"
                                     and s.frm == self.room + "/weather", WAIT)
        self.assertIsNotNone(gone, "the bridge did not leave the room it no longer serves")


class Metrics(MucBase):
    def test_rejoins_counted_in_metrics(self):
        import urllib.request
        room = new_room("metrics")
        alice = self.occupant()
        alice.join(room, "alice")
        port = h.free_port()
        b = h.Bridge(self.prosody, [self.route("weather", room, room_trigger="prefix",
                                               room_anonymous="yes")], name="metrics")
        with open(b.cfg, "a") as f:
            f.write("[metrics]\nlisten = 127.0.0.1:%d\n" % port)
        self.cleanups.append(b.stop)
        b.start()
        self.wait_joined(b, "weather", room)
        since = b.log_size()
        alice.kick(room, "weather", "count me")
        self.wait_joined(b, "weather", room, since)

        def scrape():
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
                return r.read().decode()
        labels = 'route="weather",room="%s"' % room
        page = scrape()
        self.assertIn('xmpp_cgi_room_state{%s,state="in"} 1' % labels, page)
        self.assertIn('xmpp_cgi_room_state{%s,state="backoff"} 0' % labels, page)
        self.assertIn('xmpp_cgi_room_joins_total{%s} 2' % labels, page)


class Send(MucBase):
    def test_xmpp_cgi_send_posts_to_a_room_the_route_is_in(self):
        room, elsewhere = new_room("send"), new_room("notin")
        alice = self.occupant()
        alice.join(room, "alice")
        sock = os.path.join(self.dump, "ctl.sock")
        b = h.Bridge(self.prosody, [self.route("weather", room, room_trigger="prefix",
                                               room_anonymous="yes")],
                     name="send")
        with open(b.cfg, "a") as f:
            f.write("[control]\nsocket = %s\n" % sock)
        self.cleanups.append(b.stop)
        b.start()
        self.wait_joined(b, "weather", room)
        since = alice.c.mark()
        r = subprocess.run([cc.SEND, "-s", sock, "-r", "weather", "-t", room, "--type", "groupchat",
                            "-m", "rain at noon"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = alice.wait_room(room, lambda s: s.frm == room + "/weather", since)
        self.assertIsNotNone(got, h.tail(b.log))
        self.assertEqual(body_of(got), "rain at noon")
        r = subprocess.run([cc.SEND, "-s", sock, "-r", "weather", "-t", elsewhere, "--type",
                            "groupchat", "-m", "x"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn(b"not-in-room", r.stderr)


class ComponentMode(MucBase):
    def test_component_joins_as_route_at_component(self):
        from component import ComponentBridge
        room = new_room("comp")
        alice = self.occupant()
        alice.join(room, "alice", form={"muc#roomconfig_whois": "anyone"})
        since = alice.c.mark()
        b = ComponentBridge(self.prosody, [self.route("weather", room, room_trigger="prefix",
                                                      allow="alice@localhost", room_ping="1"),
                                           self.route("other", room, room_trigger="all")])
        self.cleanups.append(b.stop)
        b.start()
        self.b = b
        self.wait_joined(b, "weather", room)
        self.wait_joined(b, "other", room)
        # the room shows the occupant's real JID: the route at the component
        pres = alice.c.wait_for(lambda s: s.kind == "presence" and s.frm == room + "/weather",
                                WAIT, since)
        item = child(pres, NS_USER, "x").find("{%s}item" % NS_USER)
        self.assertEqual(item.get("jid"), "weather@" + b.component)
        got = self.ask(alice, room, "!weather comp", "cm1")
        self.assertEqual(body_of(got), "heard alice: comp")
        self.assertIsNotNone(alice.wait_room(room, lambda s: body_of(s) ==
                                             "heard alice: !weather comp", 0))
        self.assertEqual(self.env("cm1")["REMOTE_USER"], "alice@localhost")
        # "other" serves every message, but never one of a route of this bridge: each
        # route hears the other's answers, and they do not talk to each other
        self.ask(alice, room, "hi", "cm2", reply_to="other", want="heard alice: hi")
        self.ask(alice, room, "!weather again", "cm3", want="heard alice: again")
        self.ask(alice, room, "bye", "cm4", reply_to="other", want="heard alice: bye")
        log = b.read_log()
        self.assertNotIn("from weather@", log)
        self.assertNotIn("from other@", log)
        self.assertIn("route other: message cm3 from alice@localhost", log)
        self.assertNotIn("self-ping", log)
        # a new component connection (the bridge restarted) joins again and serves
        b.stop()
        since = b.log_size()
        b.start()
        self.wait_joined(b, "weather", room, since)
        self.ask(alice, room, "!weather back", "cm5", want="heard alice: back")


class Example(MucBase):
    def test_room_bot_example(self):
        bot = h.example("room-bot")
        if not bot:
            self.skipTest("cgi-examples/room-bot.sh not there")
        room = new_room("example")
        alice = self.occupant()
        alice.join(room, "alice", form={"muc#roomconfig_whois": "anyone"})
        self.b = self.bridge([Route("bot", bot, rooms=room, room_trigger="prefix")])
        self.wait_joined(self.b, "bot", room)
        got = self.ask(alice, room, "!bot whoami", "b1", reply_to="bot")
        self.assertEqual(body_of(got), "alice is alice@localhost")
        got = self.ask(alice, room, "!bot echo a  b", "b2", reply_to="bot")
        self.assertEqual(body_of(got), "a b")
        got = self.ask(alice, room, "!bot nope", "b3", reply_to="bot")
        self.assertEqual(body_of(got), "alice: item-not-found: unknown command: nope (try help)")


class Limits(MucBase):
    def test_nick_conflict_takes_a_suffix(self):
        room = new_room("conflict")
        alice = self.occupant()
        bob = self.occupant("bob@localhost")
        alice.join(room, "alice")
        bob.join(room, "weather")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes")])
        self.assertTrue(self.b.wait_log("nick weather is taken in room " + room, WAIT),
                        h.tail(self.b.log))
        self.wait_joined(self.b, "weather", room, nick="weather_2")
        got = self.ask(alice, room, "!weather c1", "c1", reply_to="weather_2")
        self.assertEqual(body_of(got), "heard alice: c1")

    def test_rate_limit(self):
        room = new_room("rate")
        alice = self.occupant()
        alice.join(room, "alice")
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes", room_rate="2/3600")])
        self.wait_joined(self.b, "weather", room)
        self.ask(alice, room, "!weather 1", "q1")
        self.ask(alice, room, "!weather 2", "q2")
        since = self.b.log_size()
        alice.say(room, "!weather 3", "q3")
        alice.say(room, "!weather 4", "q4")
        self.assertTrue(self.b.wait_log("over room_rate (2/3600s)", WAIT, since),
                        h.tail(self.b.log))
        self.assertEqual(self.n_served(), 2)

    def test_loop_guard_stops_a_bot_answering_us(self):
        room = new_room("loop")
        alice = self.occupant()
        bot = self.occupant("bob@localhost")
        alice.join(room, "alice")
        bot.join(room, "otherbot")
        self.b = self.bridge([self.route("weather", room, room_trigger="all",
                                         room_anonymous="yes", room_rate="0",
                                         room_loop_limit="2")])
        self.wait_joined(self.b, "weather", room)
        self.ask(bot, room, "ping 1", "l1", want="heard otherbot: ping 1")
        self.ask(bot, room, "ping 2", "l2", want="heard otherbot: ping 2")
        since = self.b.log_size()
        bot.say(room, "ping 3", "l3")
        self.assertTrue(self.b.wait_log("otherbot spoke 2 times in a row", WAIT, since),
                        h.tail(self.b.log))
        self.assertFalse(self.served("l3"))
        # someone else speaks: the other bot is served again
        self.ask(alice, room, "hello", "l4", want="heard alice: hello")
        self.ask(bot, room, "ping 4", "l5", want="heard otherbot: ping 4")


class Ejabberd(MucBase):
    """The same bridge on ejabberd's mod_muc: join, serve a command, no history, and
    rejoin after a kick."""

    def setUp(self):
        import ejabberd as ej
        why = ej.available()
        if why:
            self.skipTest(why)
        self.cleanups = []
        self.dump = h.make_tempdir("xmpp-cgi-muc-dump-")
        self.prosody = ej.Ejabberd(muc=True)
        self.cleanups.append(self.prosody.close)
        self.prosody.start()

    def test_ejabberd_mod_muc(self):
        room = new_room("ej")
        alice = self.occupant()
        alice.join(room, "alice")
        alice.say(room, "!weather old", "ej0")
        self.assertIsNotNone(alice.wait_room(room, lambda s: s.id == "ej0", 0))
        self.b = self.bridge([self.route("weather", room, room_trigger="prefix",
                                         room_anonymous="yes", room_ping="1")])
        self.wait_joined(self.b, "weather", room)
        got = self.ask(alice, room, "!weather ej1", "ej1")
        self.assertEqual(body_of(got), "heard alice: ej1")
        self.assertFalse(self.served("ej0"), "history was served")
        since = self.b.log_size()
        alice.kick(room, "weather", "ejabberd kick")
        self.assertTrue(self.b.wait_log("out of room %s: kicked" % room, WAIT, since),
                        h.tail(self.b.log))
        self.wait_joined(self.b, "weather", room, since)
        got = self.ask(alice, room, "!weather ej2", "ej2")
        self.assertEqual(body_of(got), "heard alice: ej2")
        # ejabberd answers the self-pings (room_ping = 1): none failed
        self.assertNotIn("self-ping", self.b.read_log())


if __name__ == "__main__":
    unittest.main()
