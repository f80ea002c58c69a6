"""Tokens and statements of a MATPOWER ``.m`` file (the small MATLAB subset case files use).

The lexer knows comments (``%`` to the end of the line, ``%{ ... %}`` blocks), continuation
(``...`` joins the next line), numbers (with exponents), identifiers, quoted strings and single
punctuation characters. The statement splitter cuts the token stream at ``;``, ``,`` and line
ends outside brackets and parentheses, so a matrix literal spanning many lines stays one
statement. Anything else is an :class:`~gat_schemas.errors.InputError` naming file and line.

Speed: consecutive lines inside ``[...]`` that hold nothing but numbers (signs attached,
separated by white space or commas, an optional ``;`` and comment) become one ``"rows"``
token carrying their values as arrays, found by one regular-expression match over the whole
block and converted by numpy, instead of a Python token per number: matrix bodies of large
cases are millions of numbers. Its meaning is exactly that of the tokens it replaces
(``expand_rows`` gives them back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["Statement", "Token", "expand_rows", "split_statements", "tokenize"]

_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIGITS = frozenset("0123456789")
_PUNCT = frozenset("=()[]{},;:*/^.+-\\<>&|~!@'\"")
_OPENERS = {"[": "]", "{": "}", "(": ")"}
_WS = " \t\f\v\r"
#: Candidate rows: whole lines of number characters, separators and comments.
_ROWS = re.compile(rf"(?:[0-9eE+\-.,;{_WS}]*(?:%[^\n]*)?\n)+")
#: What the token-by-token path would read differently from "numbers split at blanks":
#: anything after a ';' on its line, a leading or a doubled ','. Separate patterns, each
#: with a literal first character, keep the search at C speed.
_ODD = (
    re.compile(rf";[{_WS}]*[^{_WS}\n%]"),
    re.compile(rf"\n[{_WS}]*,"),
    re.compile(rf",[{_WS}]*,"),
)
#: Separators and terminators of a row, all read as white space once a block is accepted.
_BLANKS = str.maketrans(",;\t\f\v\r", "      ")


@dataclass(frozen=True)
class Token:
    """One lexical token.

    Parameters
    ----------
    kind
        ``"num"``, ``"ident"``, ``"str"``, ``"op"`` (one punctuation character), ``"nl"``
        (an end of line that is not continued) or ``"rows"`` (lines of numbers inside
        ``[...]``, read into ``rows``).
    text
        The token text (a string's contents without the quotes; the lines of a ``"rows"``
        token).
    line
        1-based line number in the file.
    space_before
        Whether white space (or a continuation) separates it from the previous token; inside
        a matrix this decides whether ``-`` starts a negative number or subtracts.
    rows
        For ``"rows"``: ``(values, counts)``, every number of the block in order and the
        number of entries of each line (the first line is ``line``).
    """

    kind: str
    text: str
    line: int
    space_before: bool
    rows: Any = None


@dataclass(frozen=True)
class Statement:
    """Tokens of one statement (terminator excluded) and the line it starts on."""

    tokens: tuple[Token, ...]
    line: int

    def text(self) -> str:
        """The statement rebuilt from its tokens, for error messages (one line)."""
        parts: list[str] = []
        for tok in self.tokens:
            if tok.kind == "nl":
                parts.append(";")
                continue
            if tok.kind == "rows":
                parts.append((" " if parts else "") + tok.text.split("\n")[0].strip())
                continue
            word = f"'{tok.text}'" if tok.kind == "str" else tok.text
            parts.append((" " if tok.space_before and parts else "") + word)
        text = "".join(parts)
        return text if len(text) <= 120 else text[:117] + "..."


def _fail(fname: str, line: int, what: str) -> InputError:
    return InputError(f"{fname}:{line}: {what}")


def _string_allowed(tokens: list[Token], space: bool) -> bool:
    """A quote starts a string unless it directly follows a value (MATLAB's transpose)."""
    if not tokens or space:
        return True
    prev = tokens[-1]
    return not (prev.kind in ("num", "ident", "str") or prev.text in (")", "]", "}"))


def _line_tokens(line: str, lineno: int, fname: str, tokens: list[Token]) -> bool:
    """Append the tokens of one line (no end-of-line token); return whether it continues."""
    i, n = 0, len(line)
    space = True
    continued = False
    while i < n:
        ch = line[i]
        if ch in " \t\f\v\r":
            space = True
            i += 1
            continue
        if ch == "%":
            break
        if line.startswith("...", i):
            continued = True
            space = True
            break
        if ch in _DIGITS or (ch == "." and i + 1 < n and line[i + 1] in _DIGITS):
            m = _NUMBER.match(line, i)
            assert m is not None  # a digit or ".<digit>" always matches
            end = m.end()
            if end < n and (line[end].isalnum() or line[end] in "_."):
                word = line[i : end + 1]
                raise _fail(fname, lineno, f"malformed number {word!r}")
            tokens.append(Token("num", m.group(), lineno, space))
            i = end
        elif ch.isascii() and ch.isalpha():
            m = _IDENT.match(line, i)
            assert m is not None
            tokens.append(Token("ident", m.group(), lineno, space))
            i = m.end()
        elif ch in "'\"" and (ch == '"' or _string_allowed(tokens, space)):
            j = i + 1
            chars: list[str] = []
            while True:
                if j >= n:
                    raise _fail(fname, lineno, "string is not closed on its line")
                if line[j] == ch:
                    if j + 1 < n and line[j + 1] == ch:  # doubled quote = literal quote
                        chars.append(ch)
                        j += 2
                        continue
                    break
                chars.append(line[j])
                j += 1
            tokens.append(Token("str", "".join(chars), lineno, space))
            i = j + 1
        elif ch in _PUNCT:
            tokens.append(Token("op", ch, lineno, space))
            i += 1
        else:
            raise _fail(fname, lineno, f"unexpected character {ch!r}")
        space = False
    return continued


def tokenize(text: str, fname: str) -> list[Token]:
    """Split ``text`` into tokens.

    Parameters
    ----------
    text
        File contents.
    fname
        File name used in error messages.

    Returns
    -------
    list of Token
        Comments and continuations removed; one ``"nl"`` token per line end that is not
        continued.

    Raises
    ------
    InputError
        Unterminated strings or block comments, malformed numbers, characters outside the
        MATLAB subset.
    """
    tokens: list[Token] = []
    block_depth = 0
    block_start = 0
    depth: list[str] = []  # open brackets, as far as the fast row path needs to know
    continued = False
    # Split on "\n" only (not str.splitlines), so line numbers match what editors show.
    lines = text.split("\n")
    offsets = np.concatenate([[0], np.cumsum([len(x) + 1 for x in lines])]).tolist()
    skip = 0
    slow_until = 0  # lines of a block the fast path gave back, read token by token
    for k, line in enumerate(lines):
        lineno = k + 1
        if skip:  # a line of a "rows" block already read
            skip -= 1
            continue
        stripped = line.strip()
        # Block comments: "%{" and "%}" must stand alone on their lines (as in MATLAB).
        if stripped == "%{":
            if block_depth == 0:
                block_start = lineno
            block_depth += 1
            continue
        if block_depth:
            if stripped == "%}":
                block_depth -= 1
            continue
        if not continued and depth and depth[-1] == "[" and k >= slow_until:
            rows = _rows_token(text, offsets[k], lineno)
            if rows is not None:
                skip = rows.text.count("\n")
                tokens.append(rows)
                tokens.append(Token("nl", "", lineno + skip, True))
                continue
            slow_until = k + 1 + _block_lines(text, offsets[k])
        start = len(tokens)
        continued = _line_tokens(line, lineno, fname, tokens)
        for tok in tokens[start:]:
            if tok.kind == "op" and tok.text in _OPENERS:
                depth.append(tok.text)
            elif tok.kind == "op" and tok.text in ")]}" and depth:
                depth.pop()
        if not continued:
            tokens.append(Token("nl", "", lineno, True))
    if block_depth:
        raise _fail(fname, block_start, "block comment '%{' is never closed")
    return tokens


def _block_lines(text: str, start: int) -> int:
    m = _ROWS.match(text, start)
    return 0 if m is None else m.group().count("\n")


def _words_per_line(clean: str) -> np.ndarray:
    """Number of blank-separated words on each line of ``clean`` (blanks are spaces)."""
    chars = np.frombuffer(clean.encode("ascii"), dtype=np.uint8)
    newline = chars == 10
    blank = newline | (chars == 32)
    starts = ~blank
    starts[1:] &= blank[:-1]
    line_of = np.cumsum(newline)
    return np.bincount(line_of[starts], minlength=int(newline.sum()) + 1).astype(np.int64)


def _rows_token(text: str, start: int, lineno: int) -> Token | None:
    """A ``"rows"`` token for the lines of numbers from ``start`` (line ``lineno``), or
    ``None`` when there are none or they need the token-by-token path (anything it would
    read differently from "numbers split at blanks", or an error to report)."""
    m = _ROWS.match(text, start)
    if m is None:
        return None
    body = m.group()[:-1]
    if "%{" in body or body.lstrip(_WS).startswith(","):
        return None
    if any(p.search(body) for p in _ODD[: 3 if "," in body else 1]):
        return None
    if "%" in body:
        clean = "\n".join(line.split("%", 1)[0] for line in body.split("\n"))
    else:
        clean = body
    clean = clean.translate(_BLANKS)
    try:
        values = np.array(clean.split(), dtype=float)
    except ValueError:
        return None
    counts = _words_per_line(clean)
    if counts.sum() != len(values):  # cannot differ; a guard against a subtle mismatch
        return None
    return Token("rows", body, lineno, True, (values, counts))


def expand_rows(stmt: Statement, fname: str) -> Statement:
    """``stmt`` with every ``"rows"`` token replaced by the number, ``;`` and end-of-line
    tokens it stands for."""
    if not any(tok.kind == "rows" for tok in stmt.tokens):
        return stmt
    tokens: list[Token] = []
    for tok in stmt.tokens:
        if tok.kind != "rows":
            tokens.append(tok)
            continue
        for i, line in enumerate(tok.text.split("\n")):
            if i:
                tokens.append(Token("nl", "", tok.line + i - 1, True))
            _line_tokens(line, tok.line + i, fname, tokens)
    return Statement(tuple(tokens), stmt.line)


def split_statements(tokens: list[Token], fname: str) -> list[Statement]:
    """Cut the token stream into statements.

    Outside brackets and parentheses, ``;``, ``,`` and line ends end a statement. Inside
    ``[...]`` they are kept (they separate rows and elements of a matrix). A line end inside
    parentheses is an error, as in MATLAB.

    Raises
    ------
    InputError
        Unbalanced or mismatched brackets.
    """
    statements: list[Statement] = []
    current: list[Token] = []
    stack: list[Token] = []
    for tok in tokens:
        if tok.kind == "op" and tok.text in _OPENERS:
            stack.append(tok)
        elif tok.kind == "op" and tok.text in ")]}":
            if not stack:
                raise _fail(fname, tok.line, f"{tok.text!r} has no matching opening bracket")
            opener = stack.pop()
            if _OPENERS[opener.text] != tok.text:
                raise _fail(
                    fname,
                    tok.line,
                    f"{tok.text!r} closes {opener.text!r} opened at line {opener.line}",
                )
        elif not stack and (tok.kind == "nl" or (tok.kind == "op" and tok.text in ";,")):
            if current:
                statements.append(Statement(tuple(current), current[0].line))
                current = []
            continue
        elif tok.kind == "nl" and stack[-1].text == "(":
            raise _fail(fname, tok.line, "line ends inside parentheses without '...'")
        current.append(tok)
    if stack:
        opener = stack[-1]
        raise _fail(fname, opener.line, f"{opener.text!r} is never closed")
    if current:
        statements.append(Statement(tuple(current), current[0].line))
    return statements
