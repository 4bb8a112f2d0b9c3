#!/usr/bin/python3
# bench/bench.py - the driver behind bench/run (issue 4): starts Prosody as the
# end-to-end tests do (tests/e2e/harness.py), the bridge with a FastCGI and a CGI
# route, the native responder, nginx with fcgi-echo and fcgiwrap; drives them with
# bench/loadgen (XMPP) and wrk (HTTP), measures the spawn limit with bench/spawnrate,
# and prints one table, the ratios and the targets of issue 4.
#
#   bench/bench.py --bin DIR [--mode client|component] [--secs S] [--warmup S]
#                  [--results FILE] [-v]
#
# --mode picks how the bridge connects (one client connection per route, or one
# XEP-0114 component for all routes); the native responders connect the same way.
# DIR holds loadgen, native-responder and spawnrate (bench/run builds them). Every
# process it starts runs in its own process group and is killed at exit, on an
# exception, on Ctrl-C and on SIGTERM (harness.cleanup_all). Loopback only.

import argparse
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import harness as H  # noqa: E402

TRIVIAL = os.path.join(HERE, "trivial.sh")
SLEEP1 = os.path.join(HERE, "sleep1.sh")
FCGI_ECHO = os.path.join(REPO, "cgi-examples", "fcgi-echo")
MPX = os.path.join(REPO, "tests", "fcgi-mpx-responder")


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


class FastCGIRoute(H.Route):
    """A [route] with `fastcgi =` instead of `cgi =`."""

    def __init__(self, name, backend, **options):
        super().__init__(name, None, **options)
        self.backend = backend

    def render(self):
        lines = ['[route "%s"]' % self.name, "fastcgi = %s" % self.backend]
        lines += ["%s = %s" % kv for kv in self.options.items()]
        return "\n".join(lines) + "\n"


class ComponentBridge(H.Bridge):
    """The bridge in component mode (mode = component): one XEP-0114
    connection for every route; route NAME answers as NAME@DOMAIN."""

    def __init__(self, prosody, routes, domain):
        super().__init__(prosody, routes)
        self.domain = domain
        xmpp = ["[xmpp]", "mode = component", "component = %s" % domain,
                "secret = %s" % prosody.component_secret, "host = 127.0.0.1",
                "port = %d" % prosody.component_port]
        with open(self.cfg, "w") as f:
            f.write("; Written by bench/bench.py\n" + "\n".join(xmpp) + "\n\n")
            for r in self.routes:
                f.write(r.render() + "\n")
            f.write(H.DAEMON_SECTION)

    def wait_online(self, timeout=20, since=0):
        needle = "component %s: online as" % self.domain
        H.wait_until(lambda: needle in self.read_log(since) or not self.alive(),
                     timeout, 0.1)
        if not self.alive() or needle not in self.read_log(since):
            raise H.HarnessError("bridge component not online:\n" + H.tail(self.log))


def parse_kv(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def wait_file(path, needle=None, timeout=10):
    def ok():
        if not os.path.exists(path):
            return False
        if needle is None:
            return True
        with open(path, errors="replace") as f:
            return needle in f.read()
    if not H.wait_until(ok, timeout):
        raise H.HarnessError("%s: no %s after %ss" % (path, needle or "file", timeout))


def start_logged(argv, logpath, cwd=None):
    out = open(logpath, "ab")
    try:
        return H.spawn(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    finally:
        out.close()


def proc_rss_kb(pid, key="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_busy(secs=1.0):
    """System-wide CPU use over `secs`, in cores (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v[:8]), idle
    t0, i0 = snap()
    time.sleep(secs)
    t1, i1 = snap()
    total = (t1 - t0) or 1
    return (os.cpu_count() or 1) * (1.0 - (i1 - i0) / total)


class Bench:
    def __init__(self, args):
        self.a = args
        self.bin = args.bin
        self.rows = []         # dicts: path, window, rps, p50, p99, cpu, rss, note
        self.notes = []
        self.res = {}          # key -> raw result dict
        self.seq = 0

    # -- set-up ----------------------------------------------------------

    def setup(self):
        a = self.a
        self.background = cpu_busy(1.0)
        if self.background > 0.1:
            log("warning: %.2f cores busy before the run: other work skews the numbers"
                % self.background)
        log("starting Prosody")
        self.prosody = H.Prosody()
        if a.mode == "component":
            # component domains for the native responders (Prosody takes one
            # connection per component)
            with open(self.prosody.cfg, "a") as f:
                for d in ("native.localhost", "native-echo.localhost"):
                    f.write('\nComponent "%s"\n    component_secret = "%s"\n'
                            % (d, self.prosody.component_secret))
        else:
            # XEP-0198 for the rows with stream management (the load generator and
            # the native responders switch it off themselves)
            with open(self.prosody.cfg) as f:
                text = f.read()
            with open(self.prosody.cfg, "w") as f:
                f.write(text.replace('"ping", "posix" }', '"ping", "posix", "smacks" }'))
        self.prosody.start()
        self.work = os.path.join(self.prosody.dir, "bench")
        os.makedirs(self.work)
        w = self.work

        log("starting FastCGI backends")
        self.sock_bridge = os.path.join(w, "fcgi-echo-bridge.sock")
        self.sock_nginx = os.path.join(w, "fcgi-echo-nginx.sock")
        self.sock_mpx = os.path.join(w, "mpx.sock")
        start_logged([FCGI_ECHO, "-s", self.sock_bridge], os.path.join(w, "fcgi-echo-bridge.log"))
        start_logged([FCGI_ECHO, "-s", self.sock_nginx], os.path.join(w, "fcgi-echo-nginx.log"))
        # fcgi-echo serves one kept connection at a time: the second bridge has its own
        self.sock_sm = os.path.join(w, "fcgi-echo-sm.sock")
        start_logged([FCGI_ECHO, "-s", self.sock_sm], os.path.join(w, "fcgi-echo-sm.log"))
        start_logged([MPX, "-s", self.sock_mpx, "-d", "1000", "-n", "64", "-r", "4096"],
                     os.path.join(w, "mpx.log"))
        for s in (self.sock_bridge, self.sock_nginx, self.sock_mpx, self.sock_sm):
            wait_file(s)

        log("starting the bridge")
        routes = [
            FastCGIRoute("fcgi", "unix:" + self.sock_bridge, timeout=30,
                         max_concurrency=64, max_queue=4096),
            H.Route("cgi", TRIVIAL, timeout=30, max_concurrency=a.cgi_concurrency,
                    max_queue=4096),
            FastCGIRoute("fcgi1000", "unix:" + self.sock_mpx, timeout=30,
                         max_concurrency=1000, max_queue=4096),
            H.Route("cgi1000", SLEEP1, timeout=30, max_concurrency=1000, max_queue=4096),
        ]
        if a.mode == "component":
            self.bridge = ComponentBridge(self.prosody, routes, "api.localhost")
        else:
            self.bridge = H.Bridge(self.prosody, routes,
                                   extra_xmpp={"stream_management": "no"})
            # a second bridge, one route, stream management on (the default)
            self.bridge_sm = H.Bridge(self.prosody, [
                FastCGIRoute("fcgi-sm", "unix:" + self.sock_sm, timeout=30,
                             max_concurrency=64, max_queue=4096)], name="bridge-sm")
            self.bridge_sm.start()
        self.bridge.start()
        self.bridge_pid = self.bridge.proc.pid
        self.prosody_pid = self.prosody.proc.pid

        log("starting the native responders (%s)" % a.mode)
        for name, extra in (("native", []), ("native-echo", ["--echo"])):
            nlog = os.path.join(w, name + ".log")
            if a.mode == "component":
                conn = ["--component", name + ".localhost",
                        "--secret", self.prosody.component_secret,
                        "--port", str(self.prosody.component_port)]
            else:
                conn = ["--jid", "bridge@localhost/" + name, "--pass", H.PASSWORD,
                        "--port", str(self.prosody.c2s_port), "--cafile", self.prosody.ca]
            start_logged([os.path.join(self.bin, "native-responder")] + extra + conn, nlog)
            wait_file(nlog, "online", 20)

    def target(self, name):
        """The JID a load generator sends to for route or responder `name`."""
        if self.a.mode == "component":
            if name.startswith("native"):
                return "bench@%s.localhost" % name
            return "%s@api.localhost" % name
        return "bridge@localhost/" + name

    def setup_http(self):
        w = self.work
        log("starting fcgiwrap (4 processes) and nginx")
        self.sock_wrap = os.path.join(w, "fcgiwrap.sock")
        start_logged(["fcgiwrap", "-c", "4", "-s", "unix:" + self.sock_wrap],
                     os.path.join(w, "fcgiwrap.log"))
        wait_file(self.sock_wrap)
        self.http_port = H.free_port()
        ndir = os.path.join(w, "nginx")
        os.makedirs(ndir)
        params = "\n".join("        fastcgi_param %s %s;" % p for p in (
            ("GATEWAY_INTERFACE", "CGI/1.1"), ("SERVER_PROTOCOL", "$server_protocol"),
            ("REQUEST_METHOD", "$request_method"), ("QUERY_STRING", "$query_string"),
            ("CONTENT_TYPE", "$content_type"), ("CONTENT_LENGTH", "$content_length"),
            ("SCRIPT_NAME", "$fastcgi_script_name"), ("REQUEST_URI", "$request_uri"),
            ("REMOTE_ADDR", "$remote_addr"), ("REMOTE_PORT", "$remote_port"),
            ("SERVER_ADDR", "$server_addr"), ("SERVER_PORT", "$server_port"),
            ("SERVER_NAME", "$server_name")))
        conf = """\
# Written by bench/bench.py: loopback only, runs as root, no access log.
daemon off;
master_process on;
user root;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    scgi_temp_path {d}/scgi;
    uwsgi_temp_path {d}/uwsgi;
    server {{
        listen 127.0.0.1:{port};
        location = /fcgi-echo {{
{params}
            fastcgi_pass unix:{echo};
        }}
        location = /cgi {{
{params}
            fastcgi_param SCRIPT_FILENAME {script};
            fastcgi_pass unix:{wrap};
        }}
    }}
}}
""".format(d=ndir, port=self.http_port, params=params.replace("        ", "            "),
           echo=self.sock_nginx, wrap=self.sock_wrap, script=TRIVIAL)
        cfg = os.path.join(ndir, "nginx.conf")
        with open(cfg, "w") as f:
            f.write(conf)
        start_logged(["nginx", "-p", ndir, "-c", cfg, "-e", os.path.join(ndir, "error.log")],
                     os.path.join(ndir, "stdout.log"))
        if not H.wait_until(lambda: H.port_open(self.http_port), 10):
            raise H.HarnessError("nginx did not listen:\n" + H.tail(os.path.join(ndir, "error.log")))
        for loc in ("/fcgi-echo", "/cgi"):
            import urllib.request
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.http_port, loc),
                                        timeout=5) as r:
                if r.status != 200:
                    raise H.HarnessError("nginx %s: HTTP %d" % (loc, r.status))

    # -- measurements ----------------------------------------------------

    def loadgen(self, to, window, requests=None, secs=None, warmup=None, watch=True,
                pid=None):
        a = self.a
        self.seq += 1
        argv = [os.path.join(self.bin, "loadgen"),
                "--jid", "alice@localhost/lg%d" % self.seq, "--pass", H.PASSWORD,
                "--port", str(self.prosody.c2s_port), "--cafile", self.prosody.ca,
                "--to", to, "--window", str(window), "--drain", "10"]
        if requests:
            argv += ["--requests", str(requests)]
        else:
            argv += ["--duration", str(secs or a.secs), "--warmup", str(a.warmup if warmup is None
                                                                          else warmup)]
        if watch:
            argv += ["--watch", str(pid or self.bridge_pid)]
        argv += ["--watch", str(self.prosody_pid)]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=(secs or a.secs) + a.warmup + 60, start_new_session=True)
        line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if r.returncode != 0 or not line.startswith("replies="):
            raise H.HarnessError("loadgen failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr))
        kv = parse_kv(line)
        if self.a.verbose:
            log("loadgen %s W=%s: %s" % (to, window, line))
        return kv

    def xmpp_row(self, key, path, to, window, bridge=True, **kw):
        log("%s, window %d" % (path, window))
        kv = self.loadgen(to, window, watch=bridge, **kw)
        self.res[key] = kv
        n = kv["cpu_replies"] or 1
        wp = "w1" if bridge else "w0"   # the prosody watch index
        kv["prosody_us"] = kv[wp + "_ticks_ms"] * 1000.0 / n
        row = dict(path=path, window=window, rps=kv["rps"], p50=kv["p50"], p99=kv["p99"],
                   cpu=None, rss=None, note="")
        if bridge:
            kv["cpu_us"] = kv["w0_ticks_ms"] * 1000.0 / n
            kv["sched_us"] = kv["w0_sched_ms"] * 1000.0 / n
            row["cpu"] = kv["cpu_us"]
            row["rss"] = kv["w0_rssmax_kb"] / 1024.0
        if kv["errors"] or kv["lost"]:
            row["note"] = "%d errors, %d lost" % (kv["errors"], kv["lost"])
        self.rows.append(row)
        return kv

    def wrk_row(self, key, path, url):
        a = self.a
        log("%s (wrk, 16 connections)" % path)
        base = ["wrk", "-t2", "-c16", "--latency", url]
        subprocess.run(base[:3] + ["-d%ds" % max(1, int(a.warmup))] + base[3:],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=a.warmup + 30, start_new_session=True)
        r = subprocess.run(base[:3] + ["-d%ds" % int(a.secs)] + base[3:],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=a.secs + 30, start_new_session=True)
        out = r.stdout
        if a.verbose:
            log("wrk %s:\n%s" % (url, out))

        def lat(p):
            m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, out, re.M)
            if not m:
                return None
            v = float(m.group(1))
            return v / 1000.0 if m.group(2) == "us" else v * 1000.0 if m.group(2) == "s" else v
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not m:
            raise H.HarnessError("wrk: no Requests/sec:\n" + out)
        errs = 0
        m2 = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if m2:
            errs += int(m2.group(1))
        m3 = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if m3:
            errs += sum(int(x) for x in m3.groups())
        kv = dict(rps=float(m.group(1)), p50=lat("50"), p99=lat("99"), errors=errs)
        self.res[key] = kv
        self.rows.append(dict(path=path, window="16 conns", rps=kv["rps"], p50=kv["p50"],
                              p99=kv["p99"], cpu=None, rss=None,
                              note="%d errors" % errs if errs else ""))
        return kv

    def spawn_row(self):
        a = self.a
        log("spawn limit (posix_spawn, 2 in flight)")
        r = subprocess.run([os.path.join(self.bin, "spawnrate"), "-j", "2", "-d", str(a.secs),
                            "-w", str(min(a.warmup, 1.0)), TRIVIAL],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=a.secs + 30, start_new_session=True)
        kv = parse_kv(r.stdout)
        if "rate" not in kv:
            raise H.HarnessError("spawnrate failed: %s %s" % (r.stdout, r.stderr))
        self.res["spawn"] = kv
        self.rows.append(dict(path="spawn limit (posix_spawn trivial.sh)", window=2,
                              rps=kv["rate"], p50=None, p99=None, cpu=None, rss=None,
                              note="spawner's own CPU %.0f us/spawn" % kv["parent_us"]))

    def burst_row(self, key, path, to):
        log("%s: 1000 requests at once" % path)
        kv = self.loadgen(to, 1000, requests=1000)
        self.res[key] = kv
        n = kv["cpu_replies"] or 1
        kv["cpu_us"] = kv["w0_ticks_ms"] * 1000.0 / n
        answered = kv["replies"] - kv["errors"]
        kv["answered"] = answered
        self.rows.append(dict(path=path, window=1000, rps=kv["rps"], p50=kv["p50"],
                              p99=kv["p99"], cpu=kv["cpu_us"], rss=kv["w0_rssmax_kb"] / 1024.0,
                              note="%d/1000 answered, max %.0f ms%s" % (
                                  answered, kv["max"],
                                  ", %d errors, %d lost" % (kv["errors"], kv["lost"])
                                  if kv["errors"] or kv["lost"] else "")))

    def idle(self):
        secs = self.a.idle
        log("idle: %ss without traffic" % secs)
        time.sleep(1.0)
        r = subprocess.run([os.path.join(self.bin, "loadgen"), "--idle", str(secs),
                            "--watch", str(self.bridge_pid)],
                           stdout=subprocess.PIPE, text=True, timeout=secs + 30,
                           start_new_session=True)
        kv = parse_kv(r.stdout)
        kv["ms_per_s"] = kv["w0_sched_ms"] / secs
        kv["ticks_ms_per_s"] = kv["w0_ticks_ms"] / secs
        self.res["idle"] = kv

    def sm_rows(self):
        for w in (1, 16):
            self.xmpp_row("fcgi_sm%d" % w, "bridge FastCGI (fcgi-echo), stream management on",
                          self.target("fcgi-sm"), w, pid=self.bridge_sm.proc.pid)

    def run_sm_only(self):
        """--sm-only: W=1 with stream management off and on, nothing else."""
        self.setup()
        self.xmpp_row("fcgi1", "bridge FastCGI (fcgi-echo)", self.target("fcgi"), 1)
        self.sm_rows()
        self.background_end = cpu_busy(1.0)
        R = self.res
        out = ["Machine: " + self.machine(), "Bridge: %s" % self.bridge_info(),
               "Background load: %.2f cores busy before the run, %.2f after it" % (
                   self.background, self.background_end),
               "Run: %s, client mode, %g s measured after %g s warm-up per row." % (
                   time.strftime("%Y-%m-%d %H:%M %Z"), self.a.secs, self.a.warmup), "",
               "| path | window | replies/s | p50 ms | p99 ms | bridge CPU us/req "
               "| bridge RSS MB |", "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            out.append("| %s | %s | %.0f | %.2f | %.2f | %.1f | %.1f |" % (
                r["path"] + (" (%s)" % r["note"] if r["note"] else ""), r["window"],
                r["rps"], r["p50"], r["p99"], r["cpu"], r["rss"]))
        d = R["fcgi_sm1"]["p50"] - R["fcgi1"]["p50"]
        out.append("")
        out.append("- [%s] W=1 p50 with stream management at most 0.3 ms above without: "
                   "%.3f - %.3f = %+.3f ms" % ("met" if d <= 0.3 else "MISSED",
                                               R["fcgi_sm1"]["p50"], R["fcgi1"]["p50"], d))
        sys.stdout.write("\n".join(out) + "\n")
        if self.a.verbose:
            log("bridge-sm log tail:\n" + H.tail(self.bridge_sm.log))

    def run(self):
        a = self.a
        if a.sm_only:
            return self.run_sm_only()
        self.setup()
        mode = a.mode
        for w in (1, 16, 64) if a.only != "fastcgi" else ():
            self.xmpp_row("native%d" % w, "native responder (%s)" % mode,
                          self.target("native"), w, bridge=False)
        for w in (16, 64) if a.only != "fastcgi" else ():
            self.xmpp_row("native_echo%d" % w, "native responder, fcgi-echo's reply (info)",
                          self.target("native-echo"), w, bridge=False)
        for w in (1, 16, 64):
            self.xmpp_row("fcgi%d" % w, "bridge FastCGI (fcgi-echo)", self.target("fcgi"), w)
        if mode == "client":
            self.sm_rows()
        if a.only == "fastcgi":
            self.background_end = cpu_busy(1.0)
            return
        for w in (1, 16):
            self.xmpp_row("cgi%d" % w, "bridge CGI (trivial.sh)", self.target("cgi"), w)
        self.setup_http()
        self.wrk_row("nginx_fcgi", "nginx + fcgi-echo (wrk)",
                     "http://127.0.0.1:%d/fcgi-echo" % self.http_port)
        self.wrk_row("nginx_wrap", "nginx + fcgiwrap x4 (wrk)",
                     "http://127.0.0.1:%d/cgi" % self.http_port)
        self.spawn_row()
        self.burst_row("fcgi1000", "bridge FastCGI, backend 1 s, multiplexed",
                       self.target("fcgi1000"))
        self.burst_row("cgi1000", "bridge CGI, sleep1.sh, max_concurrency 1000",
                       self.target("cgi1000"))
        self.idle()
        self.background_end = cpu_busy(1.0)
        self.hwm_kb = proc_rss_kb(self.bridge_pid, "VmHWM")

    # -- report ----------------------------------------------------------

    def machine(self):
        model = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        model = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass

        def deb(pkg):
            r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            return r.stdout.strip() or "?"
        return ("%d CPUs (nproc), %s, Linux %s; Debian prosody %s, nginx-light %s, "
                "libstrophe0 %s, libuv1 %s, fcgiwrap %s, wrk %s" % (
                    os.cpu_count(), model, platform.release(), deb("prosody"),
                    deb("nginx-light"), deb("libstrophe0"), deb("libuv1"), deb("fcgiwrap"),
                    deb("wrk")))

    def bridge_info(self):
        b = os.path.abspath(H.BRIDGE_BIN)
        mt = time.strftime("%Y-%m-%d %H:%M", time.gmtime(os.path.getmtime(b)))
        info = "%s (built %s UTC)" % (os.path.relpath(b, REPO) if b.startswith(REPO + "/")
                                      else b, mt)
        if b.startswith(REPO + "/"):
            r = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if r.stdout.strip():
                info += ", tree at %s" % r.stdout.strip()
        return info

    def report(self):
        a = self.a
        R = self.res
        out = []

        def f(v, fmt):
            return "-" if v is None else fmt % v
        out.append("Machine: " + self.machine())
        out.append("Bridge: %s" % self.bridge_info())
        bg = max(self.background, self.background_end)
        out.append("Background load: %.2f cores busy before the run, %.2f after it (all "
                   "traffic stopped)%s" % (
                       self.background, self.background_end, "" if bg <= 0.1
                       else ": WARNING, other work ran on the machine; the numbers are "
                       "skewed"))
        out.append("Run: %s, %s mode, %g s measured after %g s warm-up per row; bridge CGI "
                   "route max_concurrency = %d." % (time.strftime("%Y-%m-%d %H:%M %Z"), a.mode,
                                                   a.secs, a.warmup, a.cgi_concurrency))
        out.append("")
        out.append("| path | window | replies/s | p50 ms | p99 ms | bridge CPU us/req "
                   "| bridge RSS MB |")
        out.append("|---|---|---|---|---|---|---|")
        for r in self.rows:
            path = r["path"] + (" (%s)" % r["note"] if r["note"] else "")
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                path, r["window"], f(r["rps"], "%.0f"), f(r["p50"], "%.2f"),
                f(r["p99"], "%.2f"), f(r["cpu"], "%.1f"), f(r["rss"], "%.1f")))
        if a.only == "fastcgi":
            c = R["fcgi64"]["cpu_us"]
            out.append("")
            out.append("Only the FastCGI rows (--only fastcgi). Bridge CPU per request, FastCGI "
                       "(W=64): %.1f us." % c)
            self.write(out)
            return
        idle = R["idle"]
        out.append("| bridge idle, %g s without traffic | - | - | - | - | %.3f ms/s | %.1f |" % (
            a.idle, idle["ms_per_s"], idle["w0_rss_kb"] / 1024.0))
        out.append("")
        out.append("Bridge CPU is utime+stime of the daemon (/proc/PID/stat, all threads, not "
                   "its children) over the measured window divided by the replies in it; "
                   "RSS is the largest VmRSS sampled every 50 ms during the row. Idle CPU is "
                   "the schedstat on-CPU time (ns resolution; utime+stime said %.1f ms/s). "
                   "Bridge VmHWM at the end of the run: %.1f MB." % (
                       idle["ticks_ms_per_s"], (self.hwm_kb or 0) / 1024.0))
        pros = ", ".join("%s %.0f" % (k, v["prosody_us"])
                         for k, v in R.items() if "prosody_us" in v)
        out.append("Prosody CPU us per reply: " + pros + ".")
        lg = ", ".join("%s %.0f" % (k, v["self_us"]) for k, v in R.items() if "self_us" in v)
        out.append("Load generator CPU us per reply: " + lg + ".")
        out.append("")
        ratios = [
            ("bridge FastCGI / native responder (W=64)", R["fcgi64"]["rps"],
             R["native64"]["rps"], 0.85),
            ("bridge CGI / nginx+fcgiwrap x4 (W=16)", R["cgi16"]["rps"],
             R["nginx_wrap"]["rps"], 1.2),
            ("bridge CGI / spawn limit (W=16)", R["cgi16"]["rps"], R["spawn"]["rate"], 0.7),
        ]
        out.append("Ratios:")
        for name, x, y, _ in ratios:
            out.append("- %s: %.0f / %.0f = %.2f" % (name, x, y, x / y if y else 0))
        x, y = R["fcgi64"]["rps"], R["native_echo64"]["rps"]
        out.append("- (info) bridge FastCGI / native responder sending fcgi-echo's reply (W=64): "
                   "%.0f / %.0f = %.2f" % (x, y, x / y if y else 0))
        out.append("")
        out.append("Targets of issue 4:")

        def target(ok, text):
            out.append("- [%s] %s" % ("met" if ok else "MISSED", text))
        for name, x, y, t in ratios:
            q = x / y if y else 0
            target(q >= t, "%s >= %.2f: %.2f (%+.0f%%)" % (name, t, q, (q / t - 1) * 100))
        for k, lim, what in (("fcgi64", 30, "FastCGI"), ("cgi16", 150, "CGI")):
            c = R[k]["cpu_us"]
            target(c <= lim, "bridge CPU per request, %s (W=%d) <= %d us: %.1f us (%+.0f%%)" % (
                what, R[k]["window"], lim, c, (c / lim - 1) * 100))
        d = R["fcgi1"]["p50"] - R["native1"]["p50"]
        target(d <= 0.3, "W=1 p50 at most 0.3 ms above the native responder's (FastCGI): "
               "%.3f - %.3f = %+.3f ms (CGI, which also runs a shell: %.3f ms)" % (
                   R["fcgi1"]["p50"], R["native1"]["p50"], d, R["cgi1"]["p50"]))
        for k, what in (("fcgi1000", "FastCGI 1 s multiplexed"), ("cgi1000", "CGI sleep 1 s")):
            v = R[k]
            ok = v["answered"] == 1000 and v["max"] <= 2000
            target(ok, "1000 in flight, %s, all answered within 2 s: %d/1000 answered, max "
                   "latency %.0f ms" % (what, v["answered"], v["max"]))
        if "fcgi_sm1" in R:
            d = R["fcgi_sm1"]["p50"] - R["fcgi1"]["p50"]
            target(d <= 0.3, "(issue 12) W=1 p50 with stream management at most 0.3 ms above "
                   "without (FastCGI): %.3f - %.3f = %+.3f ms" % (
                       R["fcgi_sm1"]["p50"], R["fcgi1"]["p50"], d))
        target(idle["ms_per_s"] < 1.0, "idle CPU < 1 ms/s: %.3f ms/s" % idle["ms_per_s"])
        rss = max(R["fcgi1000"]["w0_rssmax_kb"], R["cgi1000"]["w0_rssmax_kb"]) / 1024.0
        target(rss < 16, "RSS < 16 MB with 1000 in flight: %.1f MB" % rss)
        self.write(out)

    def write(self, out):
        a = self.a
        text = "\n".join(out) + "\n"
        sys.stdout.write(text)
        if a.results:
            with open(a.results, "w") as fh:
                fh.write("# bench/run results\n\n" + text)
            log("wrote %s" % a.results)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True, help="directory with the built bench programs")
    ap.add_argument("--only", choices=("fastcgi",),
                    help="run only these rows (the bridge's FastCGI rows at W=1, 16, 64)")
    ap.add_argument("--secs", type=float, default=6.0, help="measured seconds per row")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per row")
    ap.add_argument("--idle", type=float, default=5.0, help="idle measurement, seconds")
    ap.add_argument("--cgi-concurrency", type=int, default=16,
                    help="max_concurrency of the bridge's CGI route")
    ap.add_argument("--mode", choices=("client", "component"), default="client",
                    help="how the bridge and the native responders connect")
    ap.add_argument("--results", help="also write the report to this file")
    ap.add_argument("--sm-only", action="store_true",
                    help="only W=1 with stream management off and on (client mode)")
    ap.add_argument("-v", "--verbose", action="store_true", help="raw lines on stderr")
    a = ap.parse_args()
    for p in (H.BRIDGE_BIN, FCGI_ECHO, MPX):
        if not os.access(p, os.X_OK):
            sys.exit("bench: %s is missing: run make (and make tests/fcgi-mpx-responder)" % p)
    b = Bench(a)
    try:
        b.run()
        if not a.sm_only:
            b.report()
    except H.HarnessError as e:
        log("failed: %s" % e)
        if getattr(b, "bridge", None):
            log("bridge log tail:\n" + H.tail(b.bridge.log))
        return 1
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    finally:
        H.cleanup_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
