"""What every bench/*/render.py shares: a generated section of a document between its markers
("<!-- bench/NAME:begin -->" ... "<!-- bench/NAME:end -->"), written or checked for staleness,
and the small statistics and argument helpers the renderers use.

    import sys, pathlib; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    import docsection
"""
import sys


def splice(text, begin, end, blk, before=None, doc_path=None):
    """Replaces the section from `begin` to `end` in `text` with `blk`. Without the section it
    goes before the marker `before` when that is in the text, else at the end; with `doc_path`
    given instead, a missing section is an error naming the document."""
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        return text[:a] + blk + text[b:]
    if doc_path is not None:
        raise SystemExit(f"render.py: {doc_path}: no '{begin}' ... '{end}' section to replace")
    if before and before in text:
        a = text.index(before)
        return text[:a] + blk + "\n\n" + text[a:]
    return text.rstrip("\n") + "\n\n" + blk + "\n"


def write_or_check(doc_path, text, new, what, cmd, check):
    """With `check`: 1 (and says so) when the document's section is not `new`'s, else 0.
    Without: writes `new`, 0."""
    if check:
        if new != text:
            print(f"render.py: {doc_path}: the {what} section is stale: run {cmd}",
                  file=sys.stderr)
            return 1
        return 0
    doc_path.write_text(new)
    return 0


def arg(argv, name, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


def mean(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return sum(xs) / len(xs) if xs else None


def median(xs):
    xs = sorted(x for x in xs if isinstance(x, (int, float)))
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2
