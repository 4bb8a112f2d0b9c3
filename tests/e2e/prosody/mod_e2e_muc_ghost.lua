-- tests/e2e/prosody/mod_e2e_muc_ghost.lua - for the end-to-end tests only.
--
-- Loaded on the MUC component of a test Prosody (harness.Prosody(muc=True)). An iq set
-- <query xmlns='urn:xmpp-cgi:e2e:ghost' room='ROOM@SERVICE' nick='NICK'/> sent to the
-- component makes the room forget that occupant without telling anyone: no presence
-- goes out, so the occupant's client believes it is still in the room. This is the
-- "ghost" state XEP-0410 self-ping exists to detect (in real life: a server restart or
-- a lost s2s link that the client never saw).
local st = require "util.stanza";

module:hook("iq-set/host/urn:xmpp-cgi:e2e:ghost:query", function(event)
	local stanza, origin = event.stanza, event.origin;
	local q = stanza.tags[1];
	local muc = prosody.hosts[module.host].modules.muc;
	local room = muc and muc.get_room_from_jid(q.attr.room);
	local occupant = room and room:get_occupant_by_nick(q.attr.room .. "/" .. (q.attr.nick or ""));
	if not occupant then
		origin.send(st.error_reply(stanza, "cancel", "item-not-found", "no such occupant"));
		return true;
	end
	for real_jid in occupant:each_session() do
		room._jid_nick[real_jid] = nil;
	end
	room._occupants[occupant.nick] = nil;
	module:log("info", "e2e: %s forgotten in %s without a presence", q.attr.nick, q.attr.room);
	origin.send(st.reply(stanza));
	return true;
end);
