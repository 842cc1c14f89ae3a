"""Phase 30: a regex subset parsed into a byte-level syntax tree.

The mask works on bytes because the BPE vocabulary does: a token is a byte string, and a byte-level token may
hold half of a UTF-8 character. So the parser reads the pattern as characters (the way Python's `re` does) and
lowers every character construct to bytes at once: a literal `é` becomes the two-byte sequence `C3 A9`, and `.`
becomes "one well-formed UTF-8 character other than newline" spelled as byte ranges. The language over bytes is
then exactly the UTF-8 encoding of the language `re.fullmatch(pattern, text, re.ASCII)` accepts over text,
which is what the tests check. `\\d`, `\\w` and `\\s` are ASCII-only (the `re.ASCII` meaning), as JSON needs.

Supported: literals, escapes (`\\.`, `\\n`, `\\t`, `\\xHH`, `\\uHHHH`, `\\d\\w\\s\\D\\W\\S`), classes `[a-z_]`
and `[^...]`, `.`, `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, `{,n}`, groups `(...)` and `(?:...)`.
Anything else (anchors, lazy quantifiers, backreferences, lookarounds, non-ASCII class ranges) is refused with
a `RegexError` naming it: a mask that silently accepted a different language would be worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass

from lynx_cortex.errors import LynxError

MAX_REPEAT = 1000  # `{m,n}` copies the sub-automaton; a bound keeps a typo from eating the memory

ByteSet = frozenset[int]


class RegexError(LynxError):
    """The pattern is outside the supported subset, or malformed; the message names what and where."""


@dataclass(frozen=True)
class Byte:
    """One byte from `values` (a byte class)."""

    values: ByteSet


@dataclass(frozen=True)
class Concat:
    items: tuple[Node, ...]  # empty: matches the empty string


@dataclass(frozen=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    node: Node
    low: int
    high: int | None  # None: unbounded


Node = Byte | Concat | Alt | Repeat

EMPTY = Concat(())
ASCII: ByteSet = frozenset(range(128))
_DIGITS = frozenset(range(ord("0"), ord("9") + 1))
_WORD = (
    _DIGITS
    | frozenset(range(ord("a"), ord("z") + 1))
    | frozenset(range(ord("A"), ord("Z") + 1))
    | {ord("_")}
)
_SPACE = frozenset(b" \t\n\r\f\v")
_SHORTHANDS: dict[str, tuple[ByteSet, bool]] = {  # letter -> (ASCII set, negated)
    "d": (_DIGITS, False),
    "w": (_WORD, False),
    "s": (_SPACE, False),
    "D": (_DIGITS, True),
    "W": (_WORD, True),
    "S": (_SPACE, True),
}
_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_UNSUPPORTED_ESCAPES = {
    "b": "word boundary \\b",
    "B": "non-boundary \\B",
    "A": "anchor \\A",
    "Z": "anchor \\Z",
    "z": "anchor \\z",
    "G": "anchor \\G",
}


def _range(lo: int, hi: int) -> Byte:
    return Byte(frozenset(range(lo, hi + 1)))


def _seq(*parts: Byte) -> Concat:
    return Concat(tuple(parts))


_CONT = _range(0x80, 0xBF)
#: Every well-formed multi-byte UTF-8 character (RFC 3629 table 3-7: no overlongs, no surrogates).
MULTIBYTE = Alt(
    (
        _seq(_range(0xC2, 0xDF), _CONT),
        _seq(Byte(frozenset({0xE0})), _range(0xA0, 0xBF), _CONT),
        _seq(Byte(frozenset(range(0xE1, 0xED)) | {0xEE, 0xEF}), _CONT, _CONT),
        _seq(Byte(frozenset({0xED})), _range(0x80, 0x9F), _CONT),
        _seq(Byte(frozenset({0xF0})), _range(0x90, 0xBF), _CONT, _CONT),
        _seq(_range(0xF1, 0xF3), _CONT, _CONT, _CONT),
        _seq(Byte(frozenset({0xF4})), _range(0x80, 0x8F), _CONT, _CONT),
    )
)


def char_class(ascii_bytes: ByteSet, *, non_ascii: bool, extra: tuple[str, ...] = ()) -> Node:
    """One character: an ASCII byte from `ascii_bytes`, any non-ASCII character when `non_ascii`, or `extra`."""
    options: list[Node] = []
    if ascii_bytes:
        options.append(Byte(frozenset(ascii_bytes)))
    if non_ascii:
        options.append(MULTIBYTE)
    options.extend(literal(c) for c in extra)
    if not options:
        raise RegexError("a character class that matches nothing")
    return options[0] if len(options) == 1 else Alt(tuple(options))


def literal(text: str) -> Node:
    """The UTF-8 bytes of `text`, in order."""
    data = text.encode("utf-8")
    if len(data) == 1:
        return Byte(frozenset(data))
    return Concat(tuple(Byte(frozenset({b})) for b in data))


ANY_BUT_NEWLINE = char_class(ASCII - {ord("\n")}, non_ascii=True)


class _Parser:
    """Recursive descent over the pattern's characters; `pos` always points at the next unread one."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.pos = 0

    def fail(self, what: str) -> RegexError:
        return RegexError(f"regex {self.src!r} at position {self.pos}: {what}")

    def peek(self) -> str | None:
        return self.src[self.pos] if self.pos < len(self.src) else None

    def take(self) -> str:
        if self.pos >= len(self.src):
            raise self.fail("unexpected end of pattern")
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos != len(self.src):
            raise self.fail("unbalanced ')'")
        return node

    def alternation(self) -> Node:
        options = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.concatenation())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def concatenation(self) -> Node:
        items: list[Node] = []
        while self.peek() not in (None, "|", ")"):
            items.append(self.repetition())
        return items[0] if len(items) == 1 else Concat(tuple(items))

    def repetition(self) -> Node:
        atom = self.atom()
        bounds = self.quantifier()
        if bounds is None:
            return atom
        if self.peek() == "?":
            raise self.fail(
                "lazy quantifiers are not supported (a mask has no notion of 'shortest')"
            )
        if self.peek() == "+":
            raise self.fail("possessive quantifiers are not supported")
        if self.peek() in ("*", "{") and self.quantifier_ahead():
            raise self.fail("multiple repeat")
        return Repeat(atom, *bounds)

    def quantifier_ahead(self) -> bool:
        start = self.pos
        found = self.quantifier() is not None
        self.pos = start
        return found

    def quantifier(self) -> tuple[int, int | None] | None:
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.pos += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        if ch != "{":
            return None
        end = self.src.find("}", self.pos)
        body = self.src[self.pos + 1 : end] if end != -1 else ""
        low_text, comma, high_text = body.partition(",")
        if end == -1 or not (low_text.isdigit() or (comma and not low_text)):
            return None  # Python reads a `{` that opens no quantifier as a literal brace
        if high_text and not high_text.isdigit():
            return None
        low = int(low_text) if low_text else 0
        high = (int(high_text) if high_text else None) if comma else low
        if high is not None and high < low:
            raise self.fail(f"min repeat greater than max repeat in {{{body}}}")
        if max(low, high or 0) > MAX_REPEAT:
            raise self.fail(f"repeat count above {MAX_REPEAT} in {{{body}}}")
        self.pos = end + 1
        return low, high

    def atom(self) -> Node:
        ch = self.take()
        if ch == "(":
            if self.src.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise self.fail("only plain and (?:...) groups are supported")
            inner = self.alternation()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return inner
        if ch == "[":
            return self.klass()
        if ch == ".":
            return ANY_BUT_NEWLINE
        if ch == "\\":
            return self.escape(in_class=False)[0]
        if ch in "*+?":
            raise self.fail(f"nothing to repeat before {ch!r}")
        if ch == "{" and self.quantifier_ahead_from(self.pos - 1):
            raise self.fail("nothing to repeat before '{'")
        if ch in "^$":
            raise self.fail(f"anchor {ch!r} is not supported (masks always match the whole output)")
        return literal(ch)

    def quantifier_ahead_from(self, pos: int) -> bool:
        saved = self.pos
        self.pos = pos
        found = self.quantifier() is not None
        self.pos = saved
        return found

    def escape(self, *, in_class: bool) -> tuple[Node, str | None]:
        """The escape after a backslash: its node, and the single character it stands for (None for a class)."""
        ch = self.take()
        if ch in _SHORTHANDS:
            values, negated = _SHORTHANDS[ch]
            node = char_class(ASCII - values if negated else values, non_ascii=negated)
            return node, None
        if ch in _CONTROL_ESCAPES:
            return literal(_CONTROL_ESCAPES[ch]), _CONTROL_ESCAPES[ch]
        if ch in ("x", "u"):
            width = 2 if ch == "x" else 4
            digits = self.src[self.pos : self.pos + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.fail(f"\\{ch} needs {width} hex digits")
            self.pos += width
            char = chr(int(digits, 16))
            return literal(char), char
        if ch in _UNSUPPORTED_ESCAPES and not in_class:
            raise self.fail(f"{_UNSUPPORTED_ESCAPES[ch]} is not supported")
        if ch.isascii() and ch.isalnum():
            raise self.fail(
                f"escape \\{ch} is not supported (backreferences and letters are refused)"
            )
        return literal(ch), ch

    def klass(self) -> Node:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ascii_bytes: set[int] = set()
        non_ascii_all = False
        extra: list[str] = []
        first = True
        while True:
            ch = self.take()
            if ch == "]" and not first:
                break
            first = False
            lo: str | None
            if ch == "\\":
                node, lo = self.escape(in_class=True)
                if lo is None:  # a shorthand such as \d inside the class
                    values, shorthand_negated = _SHORTHANDS[self.src[self.pos - 1]]
                    ascii_bytes |= ASCII - values if shorthand_negated else values
                    non_ascii_all = non_ascii_all or shorthand_negated
                    continue
            else:
                lo = ch
            if self.peek() == "-" and self.src[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                hi_ch = self.take()
                hi = self.escape(in_class=True)[1] if hi_ch == "\\" else hi_ch
                if hi is None:
                    raise self.fail("a class range cannot end in a shorthand like \\d")
                if ord(hi) < ord(lo):
                    raise self.fail(f"bad character range {lo}-{hi}")
                if ord(hi) > 0x7F:
                    raise self.fail(f"class range {lo!r}-{hi!r} leaves ASCII (not supported)")
                ascii_bytes |= set(range(ord(lo), ord(hi) + 1))
            elif ord(lo) < 0x80:
                ascii_bytes.add(ord(lo))
            else:
                extra.append(lo)
        if negated:
            if extra:
                raise self.fail("a negated class may hold only ASCII characters")
            if non_ascii_all:
                return char_class(frozenset(ASCII - ascii_bytes), non_ascii=False)
            return char_class(frozenset(ASCII - ascii_bytes), non_ascii=True)
        return char_class(frozenset(ascii_bytes), non_ascii=non_ascii_all, extra=tuple(extra))


def parse(pattern: str) -> Node:
    """The byte-level syntax tree of `pattern` (see the module docstring for the subset)."""
    return _Parser(pattern).parse()


_META = frozenset(".^$*+?{}[]\\|()-")


def escape(text: str) -> str:
    """`text` as a pattern that matches exactly it: only metacharacters are escaped, like `re.escape`.

    Escaping nothing else keeps the pattern readable by other engines too (xgrammar warns on `\\_`).
    """
    return "".join("\\" + c if c in _META else c for c in text)


__all__ = [
    "ANY_BUT_NEWLINE",
    "EMPTY",
    "MAX_REPEAT",
    "MULTIBYTE",
    "Alt",
    "Byte",
    "Concat",
    "Node",
    "RegexError",
    "Repeat",
    "char_class",
    "escape",
    "literal",
    "parse",
]
