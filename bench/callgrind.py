#!/usr/bin/python3
# bench/callgrind.py - instructions the bridge executes per FastCGI request (issue 15).
#
#   bench/callgrind.py --bin DIR [--requests N] [--warmup N] [--window W] [--out FILE]
#   bench/callgrind.py --bin DIR --strace [--requests N] [--window W]
#
# Wall-clock and CPU-time figures move with whatever else the machine runs; the number
# of instructions does not. This starts Prosody and fcgi-echo as bench/bench.py does,
# and the bridge (XMPP_CGI_BIN or bridge/xmpp-cgi) under valgrind --tool=callgrind with
# one FastCGI route. bench/loadgen (built by bench/run into DIR, or by hand) sends
# --warmup requests, the counters are zeroed (callgrind_control -z), --requests more
# are sent with W in flight, and the counters are dumped (callgrind_control -d) to
# FILE (default /tmp/callgrind.bridge). It prints the instructions per request; read
# the profile with callgrind_annotate --inclusive=yes FILE. Loopback only; every
# process it starts is stopped at exit (harness.cleanup_all).
#
# With --strace the bridge runs under strace -f -c instead, twice: once for --requests
# / 5 requests and once for --requests, each in a fresh bridge with no warm-up, and the
# system calls of the first run are subtracted from the second's, so start-up and
# shutdown cancel out. It prints the calls per request by name, and their sum.

import argparse
import glob
import os
import re
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402

H = B.H


def loadgen(a, prosody, n, seq):
    argv = [os.path.join(a.bin, "loadgen"), "--jid", "alice@localhost/cg%d" % seq,
            "--pass", H.PASSWORD, "--port", str(prosody.c2s_port), "--cafile", prosody.ca,
            "--to", "bridge@localhost/fcgi", "--window", str(a.window), "--drain", "60",
            "--requests", str(n)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600, start_new_session=True)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode != 0 or not line.startswith("replies="):
        raise H.HarnessError("loadgen failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr))
    kv = B.parse_kv(line)
    if kv.get("errors", 0) or kv.get("lost", 0):
        raise H.HarnessError("loadgen: %s" % line)
    return kv


def control(flag, bridge):
    # vgdb finds the daemon's pipes by the USER and HOST in the daemon's environment
    env = dict(os.environ)
    env.pop("HOST", None)
    env["USER"] = bridge.env()["USER"]
    r = subprocess.run(["callgrind_control", flag, str(bridge.proc.pid)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if r.returncode != 0:
        raise H.HarnessError("callgrind_control %s failed: %s" % (flag, r.stdout))
    if "OK" not in r.stdout or "error" in r.stdout:
        raise H.HarnessError("callgrind_control %s: %s" % (flag, r.stdout.strip()))


def start_bridge(work, tool, tag):
    """Prosody, fcgi-echo on a unix socket and the bridge run under tool (argv
    before the bridge's own), one FastCGI route, stream management off; returns
    (prosody, bridge). harness.cleanup_all() stops them."""
    wrapper = os.path.join(work, "xmpp-cgi-" + tag)
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s %s \"$@\"\n"
                % (" ".join(tool), os.path.abspath(H.BRIDGE_BIN)))
    os.chmod(wrapper, stat.S_IRWXU)
    prosody = H.Prosody()
    prosody.start()
    sock = os.path.join(work, "fcgi-echo-%s.sock" % tag)
    B.start_logged([B.FCGI_ECHO, "-s", sock], os.path.join(work, "fcgi-echo.log"))
    B.wait_file(sock)
    bridge = H.Bridge(prosody, [B.FastCGIRoute("fcgi", "unix:" + sock, timeout=60,
                                               max_concurrency=64, max_queue=4096)],
                      binary=wrapper, extra_xmpp={"stream_management": "no"})
    bridge.start(timeout=120)
    return prosody, bridge


def strace_run(a, n, work):
    """One bridge under strace -f -c serving n requests; returns {syscall: calls}."""
    out = os.path.join(work, "strace.%d" % n)
    try:
        prosody, bridge = start_bridge(work, ["/usr/bin/strace", "-f", "-c", "-o", out],
                                       "strace-%d" % n)
        loadgen(a, prosody, n, n)
        # SIGTERM to the bridge alone: strace writes its table when the bridge is gone
        with open("/proc/%d/task/%d/children" % (bridge.proc.pid, bridge.proc.pid)) as f:
            child = int(f.read().split()[0])
        os.kill(child, 15)
        bridge.proc.wait(60)
    finally:
        H.cleanup_all()
    calls = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
    return calls


def strace_main(a):
    work = tempfile.mkdtemp(prefix="xmpp-cgi-strace.")
    small, large = a.requests // 5, a.requests
    try:
        before, after = strace_run(a, small, work), strace_run(a, large, work)
    except H.HarnessError as e:
        sys.stderr.write("strace: %s\n" % e)
        return 1
    per = {k: (after.get(k, 0) - before.get(k, 0)) / (large - small)
           for k in set(before) | set(after)}
    for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
        if abs(v) >= 0.05:
            print("%-16s %6.2f" % (k, v))
    print("requests=%d-%d window=%d syscalls_per_request=%.1f"
          % (small, large, a.window, sum(per.values())))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True, help="directory with bench/loadgen")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--out", default="/tmp/callgrind.bridge")
    ap.add_argument("--strace", action="store_true",
                    help="count system calls per request (two runs) instead")
    a = ap.parse_args()
    if a.strace:
        return strace_main(a)
    work = tempfile.mkdtemp(prefix="xmpp-cgi-callgrind.")
    raw = os.path.join(work, "callgrind.out")
    try:
        prosody, bridge = start_bridge(work, ["/usr/bin/valgrind", "--tool=callgrind",
                                              "--vgdb=yes", "--callgrind-out-file=" + raw],
                                       "callgrind")
        loadgen(a, prosody, a.warmup, 1)
        control("-z", bridge)
        loadgen(a, prosody, a.requests, 2)
        control("-d", bridge)
        dumps = sorted(glob.glob(raw + "*"), key=os.path.getmtime)
        dump = [d for d in dumps if d != raw][-1] if len(dumps) > 1 else dumps[-1]
        with open(dump) as f:
            text = f.read()
        with open(a.out, "w") as f:
            f.write(text)
        m = re.search(r"^summary:\s*(\d+)", text, re.M) or re.search(r"^totals:\s*(\d+)",
                                                                      text, re.M)
        ir = int(m.group(1))
        print("requests=%d window=%d Ir=%d Ir_per_request=%d profile=%s"
              % (a.requests, a.window, ir, ir // a.requests, a.out))
    except H.HarnessError as e:
        sys.stderr.write("callgrind: %s\n" % e)
        return 1
    finally:
        H.cleanup_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
