# e2e: message and presence handling, and the stanzas the bridge must never
# answer (iq result, anything of type error).

import os
import unittest

from shared import BridgeTest, body_text


class Messages(BridgeTest):
    def test_message_success_gets_no_reply(self):
        id = self.alice.new_id("msg")
        m = self.alice.mark()
        self.alice.send_raw("<message to='%s' id='%s' type='chat'>"
                            "<body>hi</body></message>" % (self.to("env"), id))
        # The handler ran (it dumps the request) ...
        self.wait_file(os.path.join(self.env.work, "dump", id + ".stdin"))
        # ... and nothing comes back.
        self.assertNoReply(self.alice, [id], wait=1.5, since=m)
        self.assertIsNone(self.alice.wait_for(
            lambda s: s.frm == self.to("env"), 0.1, since=m))

    def test_message_failure_gets_message_error(self):
        id = self.alice.new_id("msg")
        r = self.alice.request("<message to='%s' id='%s' type='chat'>"
                               "<body>hi</body></message>"
                               % (self.to("fail"), id))
        self.assertError(r, "internal-server-error", "cancel", kind="message")
        self.assertEqual(r.frm, self.to("fail"))

    def test_message_status_404_gets_message_error(self):
        id = self.alice.new_id("msg")
        r = self.alice.request("<message to='%s' id='%s'><body>x</body>"
                               "</message>" % (self.to("s404"), id))
        self.assertError(r, "item-not-found", "cancel", text="no such thing",
                         kind="message")

    def test_message_replies_yes_sends_chat_with_body(self):
        m = self.alice.mark()
        r = self.alice.chat(self.to("msgreply"), "hi", "msg")
        self.assertIsNotNone(r, "no chat reply")
        self.assertEqual(r.kind, "message", r.xml)
        self.assertEqual(r.type, "chat", r.xml)
        self.assertEqual(body_text(r), "hello from msgreply", r.xml)
        self.assertEqual(r.el.get("to"), self.alice.jid)
        # Exactly one reply.
        self.assertIsNone(self.alice.wait_for(
            lambda s: s.frm == self.to("msgreply") and s is not r, 1.0,
            since=m))


class Presence(BridgeTest):
    def test_directed_presence_failure_gets_presence_error(self):
        id = self.alice.new_id("pres")
        r = self.alice.request("<presence to='%s' id='%s'/>"
                               % (self.to("fail"), id))
        self.assertError(r, "internal-server-error", "cancel",
                         kind="presence")
        self.assertEqual(r.frm, self.to("fail"))

    def test_directed_presence_success_gets_no_reply(self):
        id = self.alice.new_id("pres")
        m = self.bob.mark()
        self.bob.send_raw("<presence to='%s' id='%s'/>" % (self.to("env"), id))
        self.wait_file(os.path.join(self.env.work, "dump", id + ".stdin"))
        self.assertNoReply(self.bob, [id], wait=1.5, since=m)


class NeverAnswered(BridgeTest):
    def test_no_reply_to_iq_result_or_error(self):
        m = self.alice.mark()
        ids = []
        for t, payload in (("result", ""),
                           ("error", "<error type='cancel'><item-not-found "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                            "</error>")):
            for route in ("echo", "fail"):
                id, xml = self.alice.iq(self.to(route), payload, type=t)
                ids.append(id)
                self.alice.send_raw(xml)
        self.assertNoReply(self.alice, ids, wait=2.0, since=m)
        # The bridge is still there and answers.
        self.assertResult(self.alice.query(self.to("echo")))

    def test_no_reply_to_message_or_presence_error(self):
        m = self.alice.mark()
        ids = []
        err = ("<error type='cancel'><item-not-found "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
        for kind in ("message", "presence"):
            id = self.alice.new_id(kind)
            ids.append(id)
            self.alice.send_raw("<%s to='%s' id='%s' type='error'>%s</%s>"
                                % (kind, self.to("fail"), id, err, kind))
        self.assertNoReply(self.alice, ids, wait=2.0, since=m)

    def test_iq_without_id_or_type_does_not_kill_the_bridge(self):
        self.alice.send_raw("<iq to='%s' type='get'><q xmlns='urn:e2e'/></iq>"
                            % self.to("echo"))
        self.alice.send_raw("<iq to='%s' id='no-type'/>" % self.to("echo"))
        self.assertResult(self.alice.query(self.to("echo")))
        self.assertTrue(self.env.bridge.alive())


if __name__ == "__main__":
    unittest.main()
