#!/usr/bin/env python3
"""Every document that a comment, a docstring, a script or a page points to is in the repository.

A clone of the repository must explain itself: a pointer to notes kept elsewhere is a dead end
for every reader but the author. This check reads every tracked text file (outside .ci/) and
reports, one line each:
- a pointer out of the repository: into a folder named spec or research (notes kept beside the
  repository), or to the shared folder next to a checkout;
- a `*.md` file named anywhere (a comment's "see <name>.md", a docstring, a page) that is not a
  tracked file, looked up beside the naming file, then from the repository's root;
- a markdown link `[text](target)` whose target is not in the repository, or whose `#anchor`
  is not a heading of the target page;
- `<page>.md §<heading>`: a section reference whose page has no heading starting with those words.

Usage: check_pointers.py [REPOSITORY_ROOT]   (default: the repository holding this script)
Exit status: 0 when nothing is found, 1 otherwise.
"""
import os
import re
import subprocess
import sys

# Built from pieces so that this file does not match its own patterns.
OUTSIDE = [
    (re.compile(r"(?<![\w.-])" + "[s]pec/"), "a folder named spec"),
    (re.compile(r"(?<![\w.-])" + "[r]esearch/"), "a folder named research"),
    (re.compile(r"\.\./" + "[s]hared\\b"), "the shared folder next to a checkout"),
]
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")
MD_NAME = re.compile(r"(?<![\w/.-])((?:\.\.?/)*(?:[\w.-]+/)*[\w-][\w.-]*\.md)(?![\w/-])")
MD_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SECTION = re.compile(r"([\w./-]+\.md)`?[ \t]*§[ \t]*(?=([^\n§]*))")
SECTION_END = re.compile(r"[)\],;:.\"`]")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def tracked_files(root):
    if os.path.exists(os.path.join(root, ".git")):  # a folder, or a file in a worktree
        try:
            out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                                 capture_output=True).stdout
            return [p for p in out.decode("utf-8").split("\0") if p]
        except (OSError, subprocess.CalledProcessError):
            pass
    files = []  # not a git checkout (a source archive): every file but build trees
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if not (d.startswith(".git") or d.startswith("build")
                                                   or d == "__pycache__")]
        for name in filenames:
            files.append(os.path.normpath(os.path.join(rel, name)))
    return files


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def headings(text):
    """The headings of a markdown page, outside code fences."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            out.append(m.group(2))
    return out


def slug(heading):
    """The anchor GitHub gives a heading."""
    s = heading.strip().lower().replace("`", "")
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def words(text):
    return re.findall(r"\w+", text.lower())


def names_section(heading, wanted):
    """True when `wanted` (the words after a §, up to punctuation or the end of the line) names
    `heading`: they start the heading (a reference cut by a line break), or the heading's title,
    up to its first ':' or '(', starts them (the prose goes on after the title)."""
    said, full = words(wanted), words(heading)
    title = words(re.split(r"[:(]", heading, maxsplit=1)[0])
    if not said or not full:
        return False
    return full[:len(said)] == said or (bool(title) and said[:len(title)] == title)


def anchors(text):
    seen, out = {}, set()
    for h in headings(text):
        base = slug(h)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


class Repo:
    def __init__(self, root):
        self.root = root
        self.files = set(tracked_files(root))
        self.dirs = {os.path.dirname(p) for p in self.files}
        for d in list(self.dirs):
            while d:
                d = os.path.dirname(d)
                self.dirs.add(d)
        self._texts = {}
        self._headings = {}

    def text(self, rel):
        if rel not in self._texts:
            self._texts[rel] = read_text(os.path.join(self.root, rel)) or ""
        return self._texts[rel]

    def headings(self, rel):
        if rel not in self._headings:
            self._headings[rel] = headings(self.text(rel))
        return self._headings[rel]

    def resolve(self, name, beside, root_too=True):
        """The tracked file or folder `name` means, seen from the folder `beside`; None if none."""
        name = name.lstrip("/") if name.startswith("/") else name
        bases = [beside, ""] if root_too else [beside]
        for base in bases:
            rel = os.path.normpath(os.path.join(base, name))
            if rel in self.files or rel in self.dirs:
                return rel
        return None


def check_file(repo, rel, text, problems):
    here = os.path.dirname(rel)
    is_markdown = rel.endswith(".md")
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{rel}:{number}"
        for pattern, what in OUTSIDE:
            if pattern.search(line):
                problems.append(f"{where}: points to {what}, which is not in the repository: "
                                f"{line.strip()}")
        bare = URL.sub(" ", line)
        if is_markdown:
            bare = MD_LINK.sub(" ", bare)  # link targets are checked below
        for m in MD_NAME.finditer(bare):
            if repo.resolve(m.group(1), here) is None:
                problems.append(f"{where}: {m.group(1)} is not in the repository")
        for m in SECTION.finditer(bare):
            target = repo.resolve(m.group(1), here)
            if target is None:
                continue  # reported above
            wanted = SECTION_END.split(m.group(2), 1)[0].strip()
            if not any(names_section(h, wanted) for h in repo.headings(target)):
                problems.append(f"{where}: {target} has no section \"{wanted}\"")
        if not is_markdown:
            continue
        for m in MD_LINK.finditer(line):
            link = m.group(1)
            if re.match(r"[a-z][a-z0-9+.-]*:", link):
                continue  # https:, mailto:, ...
            path, _, anchor = link.partition("#")
            target = rel if not path else repo.resolve(path, here, root_too=False)
            if target is None:
                problems.append(f"{where}: link to {path}, which is not in the repository")
                continue
            if anchor and target.endswith(".md") and anchor not in anchors(repo.text(target)):
                problems.append(f"{where}: link to {link}: {target} has no such heading")


def main():
    default = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else default)
    repo = Repo(root)
    problems = []
    for rel in sorted(repo.files):
        if rel.startswith(".ci/"):
            continue
        text = repo.text(rel)
        if text:
            check_file(repo, rel, text, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} pointer(s) to documents that are not in the repository "
              "(describe the contract in the repository and point there)")
        return 1
    print(f"checked {len(repo.files)} files: every pointer is in the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
