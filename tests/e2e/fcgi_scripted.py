#!/usr/bin/python3
"""fcgi_scripted.py - a FastCGI responder that misbehaves in one chosen way,
for the end-to-end tests of the bridge's FastCGI client (tests/e2e/
test_fastcgi.py).  Standard library only (asyncio), written from the
FastCGI 1.0 specification.

    fcgi_scripted.py -s PATH -m MODE [-d MS] [-c STATS]

Listens on a unix socket (mode 0600) and prints "listening PATH".  A
request that gets answered receives, MS milliseconds after its empty STDIN,

    Content-Type: application/xml

    <scripted xmlns='urn:xmpp-cgi:fcgi-scripted' conn='N' req='ID' path='P'/>

then END_REQUEST REQUEST_COMPLETE.  FCGI_GET_VALUES is answered with
FCGI_MAX_CONNS 16, FCGI_MAX_REQS 64 and FCGI_MPXS_CONNS 0 (1 in mode
cantmpx).  MODE:

    cantmpx      lies: says FCGI_MPXS_CONNS=1, then ends a BEGIN_REQUEST that
                 arrives while another request runs on the same connection
                 with END_REQUEST FCGI_CANT_MPX_CONN
    unknownrole  ends every request with END_REQUEST FCGI_UNKNOWN_ROLE
    dropkept     answers the first request of each connection; on the next
                 BEGIN_REQUEST on that connection it closes the connection
                 without a byte (a kept-alive connection that died)
    serveonce    answers the very first request; on every later
                 BEGIN_REQUEST it closes the connection without a byte

STATS (JSON, rewritten on every event): connections, begins (BEGIN_REQUEST
records seen), answered, refused_mpx, dropped, aborted.  SIGTERM/SIGINT:
exit 0.
"""

import argparse
import asyncio
import json
import os
import signal
import struct
import sys

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11
REQUEST_COMPLETE, CANT_MPX_CONN, OVERLOADED, UNKNOWN_ROLE = 0, 1, 2, 3
KEEP_CONN = 1

stats = {"connections": 0, "begins": 0, "answered": 0, "refused_mpx": 0,
         "dropped": 0, "aborted": 0}
opts = None


def save_stats():
    if not opts.c:
        return
    tmp = opts.c + ".tmp"
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.replace(tmp, opts.c)


def record(rtype, rid, content=b""):
    assert len(content) <= 0xffff
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) \
        + content + b"\0" * pad


def end_request(rid, protocol_status, app_status=0):
    return record(END, rid, struct.pack(">IB3x", app_status, protocol_status))


def nv_len(data, pos):
    if data[pos] < 128:
        return data[pos], pos + 1
    return struct.unpack(">I", data[pos:pos + 4])[0] & 0x7fffffff, pos + 4


def pairs(data):
    pos, out = 0, {}
    while pos < len(data):
        nl, pos = nv_len(data, pos)
        vl, pos = nv_len(data, pos)
        name = data[pos:pos + nl]
        out[name.decode("latin-1")] = data[pos + nl:pos + nl + vl]\
            .decode("utf-8", "replace")
        pos += nl + vl
    return out


def encode_pairs(d):
    out = b""
    for k, v in d.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k), len(v)]) + k + v
    return out


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        stats["connections"] += 1
        self.no = stats["connections"]
        self.served = 0
        self.reqs = {}          # id -> {"params": bytes, "keep": bool}
        self.closed = False
        save_stats()

    def send(self, data):
        if not self.closed:
            self.writer.write(data)

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()

    def drop(self):
        stats["dropped"] += 1
        save_stats()
        self.close()

    def finish(self, rid, protocol_status, app_status=0):
        req = self.reqs.pop(rid, None)
        self.send(end_request(rid, protocol_status, app_status))
        if req is not None and not req["keep"]:
            self.close()

    async def answer(self, rid):
        if opts.d:
            await asyncio.sleep(opts.d / 1000.0)
        req = self.reqs.get(rid)
        if req is None or self.closed:
            return
        path = pairs(req["params"]).get("PATH_INFO", "")
        body = ("Content-Type: application/xml\r\n\r\n"
                "<scripted xmlns='urn:xmpp-cgi:fcgi-scripted' conn='%d' "
                "req='%d' path='%s'/>" % (self.no, rid, path)).encode()
        self.send(record(STDOUT, rid, body) + record(STDOUT, rid))
        self.served += 1
        stats["answered"] += 1
        save_stats()
        self.finish(rid, REQUEST_COMPLETE)

    def on_begin(self, rid, body):
        role, flags = struct.unpack(">HB", body[:3])
        stats["begins"] += 1
        save_stats()
        mode = opts.m
        if (mode == "dropkept" and self.served >= 1) or \
                (mode == "serveonce" and stats["answered"] >= 1):
            self.drop()
            return
        self.reqs[rid] = {"params": b"", "keep": bool(flags & KEEP_CONN)}
        if mode == "unknownrole":
            self.finish(rid, UNKNOWN_ROLE)
        elif mode == "cantmpx" and len(self.reqs) > 1:
            stats["refused_mpx"] += 1
            save_stats()
            self.finish(rid, CANT_MPX_CONN)

    async def run(self):
        try:
            while not self.closed:
                hdr = await self.reader.readexactly(8)
                ver, rtype, rid, clen, plen, _ = struct.unpack(">BBHHBB", hdr)
                body = (await self.reader.readexactly(clen + plen))[:clen]
                if ver != 1:
                    break
                if rtype == GET_VALUES:
                    want = pairs(body)
                    have = {"FCGI_MAX_CONNS": "16", "FCGI_MAX_REQS": "64",
                            "FCGI_MPXS_CONNS":
                            "1" if opts.m == "cantmpx" else "0"}
                    self.send(record(GET_VALUES_RESULT, 0, encode_pairs(
                        {k: v for k, v in have.items() if k in want})))
                elif rtype == BEGIN:
                    self.on_begin(rid, body)
                elif rtype == PARAMS and rid in self.reqs:
                    self.reqs[rid]["params"] += body
                elif rtype == STDIN and rid in self.reqs and not body:
                    asyncio.ensure_future(self.answer(rid))
                elif rtype == ABORT and rid in self.reqs:
                    stats["aborted"] += 1
                    save_stats()
                    self.finish(rid, REQUEST_COMPLETE, 1)
                elif rtype not in (PARAMS, STDIN, ABORT):
                    self.send(record(UNKNOWN_TYPE, 0,
                                     bytes([rtype]) + b"\0" * 7))
                if not self.closed:
                    await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.close()


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))

    async def on_conn(reader, writer):
        await Conn(reader, writer).run()

    if os.path.exists(opts.s):
        os.unlink(opts.s)
    os.umask(0o077)
    server = await asyncio.start_unix_server(on_conn, path=opts.s)
    os.chmod(opts.s, 0o600)
    save_stats()
    print("listening %s" % opts.s, flush=True)
    await stop
    server.close()
    try:
        os.unlink(opts.s)
    except OSError:
        pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="a misbehaving FastCGI responder")
    ap.add_argument("-s", required=True, help="unix socket path")
    ap.add_argument("-m", required=True, choices=[
        "cantmpx", "unknownrole", "dropkept", "serveonce"])
    ap.add_argument("-d", type=int, default=0, help="answer delay, ms")
    ap.add_argument("-c", help="stats file (JSON)")
    opts = ap.parse_args()
    asyncio.run(main())
    sys.exit(0)
