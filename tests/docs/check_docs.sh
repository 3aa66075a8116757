#!/usr/bin/env bash
# The documentation must not lie: README.md and docs/*.md checked against the files and the real
# pymatrix binary ($PYMATRIX, as for the e2e tests). Fails when
#   - a relative link (or image) points at no file, or its #anchor at no heading of that page;
#   - a `pymatrix <command>` (inline code or a code block, anywhere) names no command, or passes
#     a --flag that command's --help does not list;
#   - docs/cli.md lacks a "## pymatrix <command>" section for a command of `pymatrix --help`;
#   - a flag that docs/cli.md documents for a command (its synopsis, the first column of its
#     option table) is missing from that command's --help, or a flag of its --help is missing
#     from that table (-h/--help, which every command takes, excepted);
#   - README.md has 200 lines or more.
# No engine needed. Prints "ok - ..." per check, every failure, and exits 1 on any.
set -euo pipefail
: "${PYMATRIX:?set PYMATRIX to the pymatrix binary}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec python3 - "$REPO" "$PYMATRIX" <<'PY'
import glob, os, re, subprocess, sys

repo, binary = sys.argv[1], sys.argv[2]
failures, passed = [], 0

def ok(msg):
    global passed
    passed += 1
    print(f"ok - {msg}")

def fail(msg):
    failures.append(msg)
    print(f"FAIL - {msg}", file=sys.stderr)

pages = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
rel = lambda p: os.path.relpath(p, repo)

def split_page(text):
    """(prose lines with fenced blocks blanked, list of (line number, code line))"""
    prose, code, fence = [], [], None
    for n, line in enumerate(text.split("\n"), 1):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m and (fence is None or m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)):
            fence = m.group(1) if fence is None else None
            prose.append("")
            continue
        if fence is None:
            prose.append(line)
        else:
            prose.append("")
            code.append((n, line))
    return prose, code

def slugs(prose):
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces to '-', repeats get -1, -2."""
    seen, out = {}, set()
    for line in prose:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1)).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out

parsed = {}
for page in pages:
    with open(page, encoding="utf-8") as f:
        text = f.read()
    prose, code = split_page(text)
    parsed[page] = (text, prose, code, slugs(prose))

# --- README.md under 200 lines ---------------------------------------------------------------
readme = parsed[pages[0]][0]
n = readme.count("\n") + (0 if readme.endswith("\n") or not readme else 1)  # as wc -l counts
(ok if n < 200 else fail)(f"README.md has {n} lines (limit: under 200)")

# --- relative links and anchors --------------------------------------------------------------
def anchors_of(path):
    if path not in parsed:
        with open(path, encoding="utf-8") as f:
            t = f.read()
        p, c = split_page(t)
        parsed[path] = (t, p, c, slugs(p))
    return parsed[path][3]

links = 0
for page in pages:
    prose = "\n".join(parsed[page][1])
    prose = re.sub(r"`[^`]*`", "", prose)  # code spans are not links
    for target in re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # https:, mailto: ...
        links += 1
        path, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            fail(f"{rel(page)}: link '{target}': {rel(dest)} does not exist")
        elif anchor:
            if not dest.endswith(".md"):
                fail(f"{rel(page)}: link '{target}': an anchor into a file that is not Markdown")
            elif anchor not in anchors_of(dest):
                fail(f"{rel(page)}: link '{target}': no heading '#{anchor}' in {rel(dest)}")
ok(f"{links} relative links checked in {len(pages)} pages")

# --- the binary: commands and their --help ---------------------------------------------------
def run(*args):
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    return p.returncode, p.stdout

rc, top = run("--help")
if rc != 0:
    print(f"FAIL - {binary} --help exited {rc}", file=sys.stderr)
    sys.exit(1)
verbs = re.findall(r"^  ([a-z][a-z-]*)(?=\s|$)", top.split("verbs:", 1)[-1].split("\n\n", 1)[0], re.M)
if not verbs:
    fail("pymatrix --help lists no verbs")
help_cache = {}

def help_flags(verb):
    """The options of `pymatrix VERB --help` (boost: '  -j [ --jobs ] arg', '  --only arg'), or None."""
    if verb not in help_cache:
        rc, out = run(verb, "--help")
        if rc != 0:
            help_cache[verb] = None
        else:
            flags = set()
            for m in re.finditer(r"^  (?:-([A-Za-z]) \[ )?--([a-z][a-z0-9-]*)", out, re.M):
                flags.add("--" + m.group(2))
                if m.group(1):
                    flags.add("-" + m.group(1))
            help_cache[verb] = flags
    return help_cache[verb]

LONG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
SHORT = re.compile(r"(?<![\w-])(-[A-Za-z])(?![\w-])")
COMMAND = re.compile(r"(?:^|(?<=[\s/]))pymatrix\s+([a-z][a-z0-9-]*)([^\n]*)")

def command_segments(text):
    """(verb, the rest of that command line) for each pymatrix command in a piece of code."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)  # quoted arguments (--command 'python3 -c ...')
    for m in COMMAND.finditer(text):
        rest = re.split(r"\s#|\s\|\s|;|&&|\s>\s", m.group(2))[0]
        yield m.group(1), rest

# every `pymatrix <command> [--flag]...` in code spans and code blocks, on every page
mentions = 0
for page in pages:
    text, prose, code, _ = parsed[page]
    pieces = [(n, line) for n, line in code]
    prose_text = "\n".join(prose)
    for m in re.finditer(r"(`+)(.+?)\1", prose_text, re.S):
        pieces.append((prose_text.count("\n", 0, m.start()) + 1, m.group(2).replace("\n", " ")))
    for n, piece in pieces:
        for verb, rest in command_segments(piece):
            mentions += 1
            flags = help_flags(verb)
            if flags is None:
                fail(f"{rel(page)}:{n}: 'pymatrix {verb}': no such command ({binary} {verb} --help fails)")
                continue
            for flag in LONG.findall(rest):
                if flag not in flags:
                    fail(f"{rel(page)}:{n}: 'pymatrix {verb} ... {flag}': {flag} is not in 'pymatrix {verb} --help'")
ok(f"{mentions} pymatrix command lines checked against the commands' --help")

# --- docs/cli.md: per command, documented flags == --help flags ------------------------------
cli = os.path.join(repo, "docs", "cli.md")
if cli not in parsed:
    fail("docs/cli.md does not exist")
else:
    _, prose, code, _ = parsed[cli]
    code_at = dict(code)
    text_lines = parsed[cli][0].split("\n")
    sections, current = {}, None
    for n, line in enumerate(text_lines, 1):
        h = re.match(r"^##\s+(.*)$", prose[n - 1])
        if h:
            m = re.match(r"^pymatrix\s+([a-z][a-z0-9-]*)\s*$", h.group(1).strip())
            current = m.group(1) if m else None
            if current:
                sections[current] = {"synopsis": set(), "table": set()}
            continue
        if current is None:
            continue
        if n in code_at:
            for verb, rest in command_segments(code_at[n]):
                if verb == current:
                    sections[current]["synopsis"] |= set(LONG.findall(rest)) | set(SHORT.findall(rest))
        elif re.match(r"^\s*\|", line) and not re.match(r"^\s*\|[\s:|-]+$", line):
            cells = re.split(r"(?<!\\)\|", line.strip())
            if len(cells) > 2:
                first = cells[1]
                sections[current]["table"] |= set(LONG.findall(first)) | set(SHORT.findall(first))
    for verb in verbs:
        if verb not in sections:
            fail(f"docs/cli.md: no '## pymatrix {verb}' section")
    for verb, doc in sections.items():
        flags = help_flags(verb)
        if flags is None:
            fail(f"docs/cli.md: '## pymatrix {verb}': no such command")
            continue
        documented = doc["synopsis"] | doc["table"]
        for flag in sorted(documented - flags):
            fail(f"docs/cli.md: pymatrix {verb}: {flag} is documented but not in 'pymatrix {verb} --help'")
        for flag in sorted(flags - doc["table"] - {"--help", "-h"}):
            fail(f"docs/cli.md: pymatrix {verb}: {flag} of 'pymatrix {verb} --help' is not in its option table")
        if not documented - flags and not flags - doc["table"] - {"--help", "-h"}:
            ok(f"docs/cli.md: pymatrix {verb}: {len(flags - {'--help', '-h'})} flags, as in --help")

print(f"{passed} checks passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
PY
