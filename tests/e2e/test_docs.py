# The documentation against the source it describes: no server, no bridge.
# The README's architecture tables name every source file under bridge/, each
# once, and mark a file pure exactly when Makefile.am builds it into
# bridge/libpure.a; xmpp-cgi.conf(5) names every key of the configuration's
# tables (bridge/daemon/config*.c); xmpp-cgi(8) and xmpp-cgi-send(1) name
# every long option their programs accept.  A file, key or option added
# without its documentation fails here, as does documentation left behind
# for one removed.

import glob
import os
import re
import unittest

import harness as h


def read(*path):
    with open(os.path.join(h.REPO, *path)) as f:
        return f.read()


def architecture_rows():
    """{file name: its "pure?" cell} over the README's architecture tables
    (rows whose second cell names files in backquotes); a file named in two
    rows appears as a list of cells."""
    rows = {}
    for line in read("README.md").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.startswith("|"):
            continue
        for name in re.findall(r"`([a-z0-9_]+\.[ch])`", cells[1]):
            rows.setdefault(name, []).append(cells[2])
    return rows


def pure_sources():
    """The .c files Makefile.am builds into bridge/libpure.a."""
    m = re.search(r"^bridge_libpure_a_SOURCES = ((?:.*\\\n)*.*)$",
                  read("Makefile.am"), re.M)
    return {os.path.basename(p) for p in m.group(1).split()
            if p.endswith(".c")}


def long_options(source):
    """The long options of getopt_long's table in a C file."""
    return set(re.findall(r'\{"([a-z][a-z-]*)",\s*(?:no|required|optional)'
                          r'_argument', read(source)))


class ArchitectureTable(unittest.TestCase):
    def setUp(self):
        self.rows = architecture_rows()
        sources = glob.glob(os.path.join(h.REPO, "bridge", "**", "*.[ch]"),
                            recursive=True)
        self.paths = {os.path.basename(p): p for p in sources}
        self.files = set(self.paths)

    def test_every_source_file_is_in_the_table(self):
        missing = set()
        for name in self.files:
            stem = name[:-2]
            # a header goes with the .c of its name
            if name.endswith(".h") and stem + ".c" in self.files:
                continue
            if name not in self.rows:
                missing.add(name)
        self.assertEqual(missing, set(), "README's architecture table")

    def test_every_file_in_the_table_exists(self):
        self.assertEqual(set(self.rows) - self.files, set())

    def test_each_file_has_one_row(self):
        # a row may name two files (http_xmpp.c and http_resp.c)
        self.assertEqual({n: c for n, c in self.rows.items() if len(c) > 1},
                         {})

    def test_pure_column_matches_libpure(self):
        pure = pure_sources()
        self.assertGreater(len(pure), 20)
        said_pure = {n for n, c in self.rows.items()
                     if n.endswith(".c") and c[0] == "yes"}
        self.assertEqual(said_pure, pure, "marked pure / built pure")
        for name in (n for n in self.files if n.endswith(".c")):
            with open(self.paths[name]) as f:
                sentence = f.read().split(". ", 1)[0]
            self.assertEqual("(pure" in sentence, name in pure,
                             name + ": the first sentence of its comment")


class ManPages(unittest.TestCase):
    def test_every_config_key_is_in_the_conf_page(self):
        keys = set()
        for f in glob.glob(os.path.join(h.REPO, "bridge", "daemon",
                                        "config*.c")):
            with open(f) as src:
                keys |= set(re.findall(
                    r'CFG_(?:KEY|LIST|AT|UINT|SIZE|BOOL)\(\s*"([a-z0-9_]+)"',
                    src.read()))
        self.assertGreater(len(keys), 50)
        man = read("man", "xmpp-cgi.conf.5")
        named = set(re.findall(r"\bCm ([a-z0-9_]+)", man))
        self.assertEqual(keys - named, set(), "keys xmpp-cgi.conf(5) "
                         "does not name")
        listed = set(re.findall(r"^\.It Cm ([a-z0-9_]+)", man, re.M))
        self.assertEqual(listed - keys, set(), "keys xmpp-cgi.conf(5) "
                         "lists that no table has")

    def check_options(self, source, page):
        options = long_options(source)
        self.assertGreater(len(options), 4)
        man = read("man", page)
        self.assertEqual({o for o in options
                          if not re.search(r"\bFl -%s\b" % re.escape(o), man)},
                         set(), page)
        listed = set(re.findall(r"^\.It (?:Fl \w+ , )?Fl -([a-z][a-z-]*)",
                                man, re.M))
        self.assertEqual(listed - options, set(), page + " lists options "
                         "the program does not have")

    def test_daemon_options(self):
        self.check_options(os.path.join("bridge", "daemon", "main.c"),
                           "xmpp-cgi.8")

    def test_send_options(self):
        self.check_options(os.path.join("tools", "xmpp-cgi-send.c"),
                           "xmpp-cgi-send.1")


if __name__ == "__main__":
    unittest.main()
