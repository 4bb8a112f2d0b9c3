# e2e: the sender ACL of a route (`allow =`) and its default (the bridge's
# own domain only).

import unittest

from shared import BridgeTest


class Acl(BridgeTest):
    def test_allowed_bare_jid(self):
        self.assertResult(self.alice.query(self.to("acl")))

    def test_other_local_user_is_forbidden(self):
        r = self.bob.query(self.to("acl"))
        self.assertError(r, "forbidden", "auth")

    def test_default_acl_refuses_foreign_domain(self):
        r = self.eve.query(self.to("echo"))
        self.assertError(r, "forbidden", "auth")

    def test_default_acl_allows_own_domain(self):
        self.assertResult(self.bob.query(self.to("echo")))

    def test_domain_wildcard(self):
        self.assertResult(self.eve.query(self.to("aclother")))
        self.assertError(self.alice.query(self.to("aclother")),
                         "forbidden", "auth")

    def test_star_allows_everyone(self):
        self.assertResult(self.eve.query(self.to("aclall")))
        self.assertResult(self.alice.query(self.to("aclall")))

    def test_forbidden_message_gets_message_error(self):
        id = self.bob.new_id("msg")
        r = self.bob.request("<message to='%s' id='%s'><body>x</body>"
                             "</message>" % (self.to("acl"), id))
        self.assertError(r, "forbidden", "auth", kind="message")


if __name__ == "__main__":
    unittest.main()
