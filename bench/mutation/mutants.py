#!/usr/bin/env python3
"""Generates mutants of C++ sources with a small tokenizer of our own (no libclang).

    bench/mutation/mutants.py list [FILE ...]        one mutant per line: ID <TAB> diff
    bench/mutation/mutants.py show ID                the mutated line next to the original

A mutant is one textual change at one token position. Its id is FILE:LINE:COL:OPERATOR
(FILE relative to the repository root, LINE and COL 1-based), so a sample drawn with a seed
names the same mutants on every machine. Operators:

  cmp           flip a comparison: < <=, > >=, == !=  (both ways)
  cond-true     replace the condition of an if/while with true
  cond-false    replace the condition of an if/while/for with false
  del-send      delete a statement that sends, enqueues or emits (send, enqueue, push_pull,
                refute, emit_member, out_.push_back, w.varint, ...): replaced by {}
  const+1       an integer literal plus one
  const-1       an integer literal minus one
  swap-args     swap two adjacent arguments of the same declared type (a call of a function
                declared in the reference node's headers or sources, or the brace
                initialisation of a struct declared there)

Left out by construction: preprocessor lines, enum bodies (the codec's message type numbers are
used alike by the encoder and the decoder: a change there is equivalent between two reference
nodes), template arguments, `if constexpr`, conditions that declare a variable, and calls of
std:: functions (std::min/std::max are symmetric).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
DEFAULT_FILES = [
    "reference-node/src/node.cpp",
    "reference-node/src/membership.cpp",
    "reference-node/src/suspicion.cpp",
    "reference-node/src/awareness.cpp",
    "reference-node/src/broadcast_queue.cpp",
    "reference-node/src/codec.cpp",
]
HEADERS = "reference-node/include/gossip"

# ---- tokenizer ------------------------------------------------------------------------------

OPS = sorted(
    """<<= >>= <=> ->* ... :: -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ## .*
    + - * / % & | ^ ~ ! = < > ? : ; , . ( ) [ ] { } #""".split(),
    key=len,
    reverse=True,
)
TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)|(?P<lcom>//[^\n]*)|(?P<bcom>/\*.*?\*/)|"""
    r"""(?P<str>(?:u8|u|U|L)?R"(?P<d>[^(]*)\(.*?\)(?P=d)"|(?:u8|u|U|L)?"(?:\\.|[^"\\\n])*")|"""
    r"""(?P<chr>(?:u8|u|U|L)?'(?:\\.|[^'\\\n])*')|"""
    r"""(?P<num>(?:0[xX][0-9a-fA-F']+|\d[\d']*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[uUlLfF]*)|"""
    r"""(?P<id>[A-Za-z_]\w*)|(?P<op>"""
    + "|".join(re.escape(o) for o in OPS)
    + ")",
    re.S,
)


class Tok:
    __slots__ = ("kind", "text", "start", "end", "line", "col", "pp", "tmpl")

    def __init__(self, kind, text, start, end, line, col, pp):
        self.kind, self.text, self.start, self.end = kind, text, start, end
        self.line, self.col, self.pp = line, col, pp
        self.tmpl = False  # a < or > that brackets template arguments

    def __repr__(self):
        return f"{self.text}@{self.line}:{self.col}"


def tokenize(src):
    toks = []
    pos, line, line_start = 0, 1, 0
    pp_line = -1  # the line of a preprocessor directive being read
    while pos < len(src):
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise ValueError(f"line {line}: cannot tokenize {src[pos:pos + 20]!r}")
        kind = m.lastgroup if m.lastgroup != "d" else "str"
        if kind in ("str",) and m.group("str") is None:
            kind = "str"
        text = m.group(0)
        if kind not in ("ws", "lcom", "bcom"):
            if text == "#" and (not toks or toks[-1].line != line or toks[-1].pp):
                pp_line = line
            toks.append(Tok(kind, text, pos, m.end(), line, pos - line_start + 1, pp_line == line))
        nl = text.count("\n")
        if nl:
            # a directive continued with a backslash stays a directive
            if pp_line == line and text.rstrip(" \t").endswith("\\\n"):
                pp_line = line + nl
            line += nl
            line_start = pos + text.rfind("\n") + 1
        pos = m.end()
    mark_templates(toks)
    return toks


STOP_IN_TEMPLATE = {";", "{", "}", "&&", "||", "?", "=", "==", "!=", "<=", ">=", "+", "-", "!"}


def mark_templates(toks):
    """Marks the < and > (or >>) that bracket template arguments: a < after an identifier
    whose matching > comes before anything an expression would have."""
    for i, t in enumerate(toks):
        if t.text != "<" or t.tmpl or i == 0:
            continue
        prev = toks[i - 1]
        if prev.kind != "id" and prev.text != ">":
            continue
        depth, paren, closers = 1, 0, []
        j = i + 1
        ok = False
        while j < len(toks):
            x = toks[j].text
            if x == "(":
                paren += 1
            elif x == ")":
                if paren == 0:
                    break
                paren -= 1
            elif paren == 0 and x in STOP_IN_TEMPLATE:
                break
            elif paren == 0 and x == "<":
                depth += 1
            elif paren == 0 and x in (">", ">>"):
                depth -= 1 if x == ">" else 2
                closers.append(toks[j])
                if depth <= 0:
                    ok = depth == 0
                    break
            j += 1
        if ok:
            t.tmpl = True
            for c in closers:
                c.tmpl = True
            # nested opening brackets inside are templates too
            for k in range(i + 1, j):
                if toks[k].text == "<":
                    toks[k].tmpl = True


# ---- declarations (for swap-args) -----------------------------------------------------------

QUALS = {"const", "volatile", "constexpr", "static", "inline", "mutable", "struct", "class",
         "typename"}


def norm_type(tokens):
    return " ".join(t for t in tokens if t not in QUALS and t not in ("&", "&&"))


def split_top(toks, lo, hi, sep=","):
    """Splits toks[lo:hi] at top-level commas; returns (start, end) index pairs."""
    parts, depth, start = [], 0, lo
    for k in range(lo, hi):
        x = toks[k].text
        if x in ("(", "[", "{") or (x == "<" and toks[k].tmpl):
            depth += 1
        elif x in (")", "]", "}") or (x == ">" and toks[k].tmpl):
            depth -= 1
        elif x == ">>" and toks[k].tmpl:
            depth -= 2
        elif x == sep and depth == 0:
            parts.append((start, k))
            start = k + 1
    if start < hi or parts:
        parts.append((start, hi))
    return parts


def match(toks, i):
    """Index of the bracket closing toks[i]."""
    o = toks[i].text
    c = {"(": ")", "[": "]", "{": "}"}[o]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == o:
            depth += 1
        elif toks[j].text == c:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def declarations(paths):
    """name -> list of parameter type lists (functions) and struct name -> field types."""
    funcs, structs = {}, {}
    for p in paths:
        toks = tokenize(p.read_text())
        toks = [t for t in toks if not t.pp]
        for i, t in enumerate(toks):
            # struct NAME { TYPE name [= ...]; ... }
            if t.text == "struct" and i + 2 < len(toks) and toks[i + 1].kind == "id" \
                    and toks[i + 2].text == "{":
                j = match(toks, i + 2)
                fields, k, depth = [], i + 3, 0
                stmt = []
                while k < j:
                    x = toks[k].text
                    if x == "{" or x == "(":
                        # a member function or a nested brace: skip it
                        e = match(toks, k)
                        if x == "(":
                            stmt = None
                        k = e + 1
                        if toks[k - 1].text == "}" and stmt is None:
                            stmt = []
                        continue
                    if x == ";":
                        if stmt and len(stmt) >= 2:
                            eq = stmt.index("=") if "=" in stmt else len(stmt)
                            decl = stmt[:eq]
                            fields.append(norm_type(decl[:-1]))
                        stmt = []
                    elif stmt is not None:
                        stmt.append(x)
                    k += 1
                structs[toks[i + 1].text] = fields
            # TYPE NAME ( params ) [const] ; or {
            if t.kind == "id" and i + 1 < len(toks) and toks[i + 1].text == "(" and i > 0 \
                    and (toks[i - 1].kind == "id" or toks[i - 1].text in (">", "*", "&", "::")):
                j = match(toks, i + 1)
                nxt = toks[j + 1].text if j + 1 < len(toks) else ""
                if nxt not in (";", "{", "const", "override", "noexcept", ":"):
                    continue
                params = []
                for lo, hi in split_top(toks, i + 2, j):
                    words = [toks[k].text for k in range(lo, hi)]
                    if "=" in words:
                        words = words[:words.index("=")]
                    if len(words) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", words[-1]):
                        params.append(norm_type(words[:-1]))
                    elif words:
                        params.append(norm_type(words))
                if params:
                    funcs.setdefault(t.text, [])
                    if params not in funcs[t.text]:
                        funcs[t.text].append(params)
    return funcs, structs


# ---- operators ------------------------------------------------------------------------------

CMP_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
SEND_CALLS = {"send", "enqueue", "push_pull", "emit_member", "emit_counters", "refute",
              "renew_alive", "flush_sync", "note_holder"}
SEND_QUALIFIED = {"out_.push_back", "events_.push_back", "queue_.push", "b.add", "out.push_back",
                  "out.insert", "w.u8", "w.varint", "w.str", "w.u64", "w.addr", "w.out.insert",
                  "body_.insert", "m.members.push_back", "m.entries.push_back",
                  "m.positions.push_back", "d.packet.messages.push_back", "seeds_.push_back"}


class Mutant:
    __slots__ = ("file", "line", "col", "op", "start", "end", "repl", "orig_line", "new_line")

    @property
    def id(self):
        return f"{self.file}:{self.line}:{self.col}:{self.op}"


def enum_spans(toks):
    spans = []
    for i, t in enumerate(toks):
        if t.text == "enum":
            j = i
            while j < len(toks) and toks[j].text not in ("{", ";"):
                j += 1
            if j < len(toks) and toks[j].text == "{":
                spans.append((toks[j].start, toks[match(toks, j)].end))
    return spans


def statement_starts(toks):
    """Indexes of tokens that begin a statement inside a function body (approximate)."""
    starts = set()
    paren_ends = set()
    for i, t in enumerate(toks):
        if t.text in ("if", "while", "for") and i + 1 < len(toks):
            k = i + 1
            if toks[k].text == "constexpr":
                k += 1
            if toks[k].text == "(":
                paren_ends.add(match(toks, k))
    for i, t in enumerate(toks):
        if t.pp:
            continue
        p = toks[i - 1] if i else None
        if p is None or p.text in (";", "{", "}", "else") or (i - 1) in paren_ends:
            starts.add(i)
    return starts


def generate(rel, src, funcs, structs):
    toks = [t for t in tokenize(src) if not t.pp]
    lines = src.split("\n")
    enums = enum_spans(toks)
    muts = []

    def add(tok_or_pos, op, start, end, repl):
        m = Mutant()
        m.file, m.op = rel, op
        m.line, m.col = tok_or_pos.line, tok_or_pos.col
        m.start, m.end, m.repl = start, end, repl
        new = src[:start] + repl + src[end:]
        ln = m.line - 1
        m.orig_line = lines[ln].strip()
        # the mutated line(s): from the start of the first changed line to the end of that line
        ls = src.rfind("\n", 0, start) + 1
        le_new = new.find("\n", start + len(repl))
        m.new_line = " ".join(new[ls:le_new if le_new >= 0 else len(new)].split())
        muts.append(m)

    def in_enum(t):
        return any(a <= t.start < b for a, b in enums)

    # depth of template brackets around each token
    tdepth, d = [], 0
    for t in toks:
        if t.text == "<" and t.tmpl:
            d += 1
            tdepth.append(d)
            continue
        if t.text in (">", ">>") and t.tmpl:
            d = max(0, d - (1 if t.text == ">" else 2))
        tdepth.append(d)

    # cmp
    for t in toks:
        if t.kind == "op" and t.text in CMP_FLIP and not t.tmpl:
            add(t, "cmp", t.start, t.end, CMP_FLIP[t.text])

    # cond-true / cond-false
    for i, t in enumerate(toks):
        if t.text not in ("if", "while", "for") or i + 1 >= len(toks) or toks[i + 1].text != "(":
            continue
        j = match(toks, i + 1)
        if t.text == "for":
            parts = split_top(toks, i + 2, j, ";")
            if len(parts) != 3 or parts[1][0] == parts[1][1]:
                continue  # a range-for or an empty condition
            lo, hi = parts[1]
            ops = ["cond-false"]
        else:
            parts = split_top(toks, i + 2, j, ";")
            lo, hi = parts[-1]
            ops = ["cond-true", "cond-false"]
        if lo >= hi:
            continue
        inner = [toks[k].text for k in range(lo, hi)]
        depth = 0
        declares = False
        for x in inner:
            if x in ("(", "[", "{"):
                depth += 1
            elif x in (")", "]", "}"):
                depth -= 1
            elif x == "=" and depth == 0:
                declares = True
        if declares:
            continue
        for op in ops:
            add(toks[lo], op, toks[lo].start, toks[hi - 1].end, "true" if op == "cond-true" else "false")

    # del-send
    for i in sorted(statement_starts(toks)):
        t = toks[i]
        if t.kind != "id" or t.text in ("return", "if", "for", "while", "else", "case", "default",
                                        "using", "auto", "const", "switch", "do", "break"):
            continue
        # callee: id ( (. | -> | ::) id )* followed by (
        k = i
        callee = [t.text]
        while k + 2 < len(toks) and toks[k + 1].text in (".", "->", "::") and toks[k + 2].kind == "id":
            callee += [toks[k + 1].text, toks[k + 2].text]
            k += 2
        if k + 1 >= len(toks) or toks[k + 1].text != "(":
            continue
        name = "".join(callee)
        if not (callee[-1] in SEND_CALLS and len(callee) == 1) and name not in SEND_QUALIFIED:
            continue
        e = match(toks, k + 1)
        if e + 1 < len(toks) and toks[e + 1].text == ";":
            add(t, "del-send", t.start, toks[e + 1].end, "{}")

    # const+1 / const-1
    for i, t in enumerate(toks):
        if t.kind != "num" or tdepth[i] > 0 or in_enum(t):
            continue
        m = re.fullmatch(r"(0[xX][0-9a-fA-F']+|\d[\d']*)([uUlL]*)", t.text)
        if not m:
            continue
        body, suf = m.group(1).replace("'", ""), m.group(2)
        v = int(body, 16) if body[:2].lower() == "0x" else int(body)
        fmt = (lambda x: hex(x)) if body[:2].lower() == "0x" else str
        # a literal right after - or + binds to it: "x - 1" +1 is "x - 2"
        add(t, "const+1", t.start, t.end, fmt(v + 1) + suf)
        if v > 0:
            add(t, "const-1", t.start, t.end, fmt(v - 1) + suf)
        elif "u" not in suf.lower():
            add(t, "const-1", t.start, t.end, "(-1)")

    # swap-args
    for i, t in enumerate(toks):
        if t.kind != "id" or i + 1 >= len(toks) or toks[i + 1].text not in ("(", "{"):
            continue
        if i > 0 and toks[i - 1].text == "::" and i > 1 and toks[i - 2].text == "std":
            continue
        # a declaration (TYPE NAME(...) {) is not a call
        o = toks[i + 1].text
        if o == "(" and i > 0 and (toks[i - 1].kind == "id" and toks[i - 1].text not in
                                   ("return", "else", "case")) and toks[i - 1].text != "new":
            continue
        e = match(toks, i + 1)
        args = split_top(toks, i + 2, e)
        if len(args) < 2 or any(lo >= hi for lo, hi in args):
            continue
        if o == "{":
            types = [structs.get(t.text)] if t.text in structs else []
        else:
            types = [p for p in funcs.get(t.text, []) if len(p) == len(args)]
        if len(types) != 1 or types[0] is None or len(types[0]) < len(args):
            continue
        ty = types[0]
        for a in range(len(args) - 1):
            if ty[a] != ty[a + 1] or not ty[a]:
                continue
            (l1, h1), (l2, h2) = args[a], args[a + 1]
            s1 = src[toks[l1].start:toks[h1 - 1].end]
            s2 = src[toks[l2].start:toks[h2 - 1].end]
            if s1 == s2:
                continue
            add(toks[l1], f"swap-args", toks[l1].start, toks[h2 - 1].end, s2 + ", " + s1)
    # one id per mutant: a second mutant at the same place and operator gets a suffix
    seen = {}
    for m in muts:
        n = seen.get(m.id, 0)
        seen[m.id] = n + 1
        if n:
            m.op = f"{m.op}.{n + 1}"
    muts.sort(key=lambda m: (m.line, m.col, m.op))
    return muts


def all_mutants(files=None):
    files = files or DEFAULT_FILES
    decl_paths = sorted((ROOT / HEADERS).glob("*.hpp")) + [ROOT / f for f in DEFAULT_FILES]
    funcs, structs = declarations(decl_paths)
    out = []
    for rel in files:
        out += generate(rel, (ROOT / rel).read_text(), funcs, structs)
    return out


def main(argv):
    if len(argv) < 2 or argv[1] not in ("list", "show"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if argv[1] == "list":
        for m in all_mutants(argv[2:] or None):
            print(f"{m.id}\t{m.orig_line}  =>  {m.new_line}")
        return 0
    want = argv[2] if len(argv) > 2 else ""
    for m in all_mutants():
        if m.id == want:
            print(f"- {m.orig_line}\n+ {m.new_line}")
            return 0
    print(f"mutants.py: no mutant {want!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
