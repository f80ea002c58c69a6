"""Tokens and statements of a MATPOWER ``.m`` file (the small MATLAB subset case files use).

The lexer knows comments (``%`` to the end of the line, ``%{ ... %}`` blocks), continuation
(``...`` joins the next line), numbers (with exponents), identifiers, quoted strings and single
punctuation characters. The statement splitter cuts the token stream at ``;``, ``,`` and line
ends outside brackets and parentheses, so a matrix literal spanning many lines stays one
statement. Anything else is an :class:`~gat_schemas.errors.InputError` naming file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["Statement", "Token", "split_statements", "tokenize"]

_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIGITS = frozenset("0123456789")
_PUNCT = frozenset("=()[]{},;:*/^.+-\\<>&|~!@'\"")
_OPENERS = {"[": "]", "{": "}", "(": ")"}


@dataclass(frozen=True)
class Token:
    """One lexical token.

    Parameters
    ----------
    kind
        ``"num"``, ``"ident"``, ``"str"``, ``"op"`` (one punctuation character) or ``"nl"``
        (an end of line that is not continued).
    text
        The token text (a string's contents without the quotes).
    line
        1-based line number in the file.
    space_before
        Whether white space (or a continuation) separates it from the previous token; inside
        a matrix this decides whether ``-`` starts a negative number or subtracts.
    """

    kind: str
    text: str
    line: int
    space_before: bool


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
    # Split on "\n" only (not str.splitlines), so line numbers match what editors show.
    for lineno, line in enumerate(text.split("\n"), start=1):
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
        if not continued:
            tokens.append(Token("nl", "", lineno, True))
    if block_depth:
        raise _fail(fname, block_start, "block comment '%{' is never closed")
    return tokens


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
