#!/usr/bin/env python3
"""ehttpctl's page, command by command: the options of each command's usage
(`ehttpctl CMD --help`, its first paragraph) are the Fl options of its item
in the page (.It Cm CMD ... up to the next command's item), and back; the
common options (--db --content --json --help) are left out. A command
without an item fails too. usage: manpage-commands.py EHTTPCTL PAGE CMDS,
CMDS a file of the commands, one a line (manpage-check.sh reads them from
ehttpctl --help)."""
import re
import subprocess
import sys

prog, page = sys.argv[1], sys.argv[2]
env = {"EHTTP_DB": "/nonexistent/site.db", "PATH": "/usr/bin:/bin"}
cmds = [c.strip() for c in open(sys.argv[3]) if c.strip()]
common = {"--db", "--content", "--json", "--help"}
lines = open(page).read().splitlines()
# Command items: ".It Cm A B ..." or ".It Xo" then ".Cm A B ...".
starts = []
for i, l in enumerate(lines):
    m = None
    if l.startswith(".It Cm "): m = l[7:]
    elif l == ".It Xo" and i + 1 < len(lines) and lines[i + 1].startswith(".Cm "): m = lines[i + 1][4:]
    if m is None: continue
    words = m.split()
    for c in sorted(cmds, key=lambda c: -len(c.split())):
        n = len(c.split())
        if words[:n] == c.split():
            starts.append((i, c)); break
bad = 0
for k, (i, c) in enumerate(starts):
    j = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
    # The block ends at the section after the commands too.
    for t in range(i + 1, j):
        if lines[t].startswith(".Sh ") or lines[t].startswith(".Ss "): j = t; break
    block = [l for l in lines[i:j] if l.startswith(".")]
    page_opts = set("--" + o for l in block for o in re.findall(r"Fl -([a-z][a-z0-9-]*)", l)) - common
    h = subprocess.run([prog] + c.split() + ["--help"], capture_output=True, text=True, env=env).stdout
    usage = h.split("\n\n")[0]          # the usage lines
    help_opts = set(re.findall(r"--[a-z][a-z0-9-]*", usage)) - common
    if help_opts - page_opts or page_opts - help_opts:
        bad = 1
        print(f"{c}: usage {sorted(help_opts - page_opts)} not under its item; item {sorted(page_opts - help_opts)} not in its usage")
missing = set(cmds) - set(c for _, c in starts)
for c in sorted(missing):
    bad = 1; print(f"{c}: no item in the page")
print(f"{len(starts)} commands checked one by one")
sys.exit(bad)
