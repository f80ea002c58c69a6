"""Commands of an OpenDSS script: comments, continuation lines and parameters.

The lexer cuts a ``.dss`` file into commands. Rules (OpenDSS's own, for the subset read):

* ``!`` and ``//`` start a comment running to the end of the line, outside quotes;
  ``/* ... */`` at the start of a line opens a block comment that ends on the line holding
  ``*/``.
* A line whose first non-blank character is ``~`` (or whose first word is ``more``) continues
  the previous command.
* A command is a list of parameters ``name=value`` or positional ``value`` (white space around
  ``=`` is allowed; commas separate parameters like white space).
* A value is a bare word, or text delimited by ``(..)``, ``[..]``, ``{..}``, ``".."`` or
  ``'..'``, which must close on the same line. What the text means (a number, an in-line RPN
  expression, an array, a matrix with rows separated by ``|``) depends on the property and is
  decided in :mod:`._values`.

Anything malformed is an :class:`~gat_schemas.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from gat_schemas.errors import InputError

__all__ = ["Command", "Param", "Value", "read_commands"]

_CLOSERS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'"}
#: Every token of a line in one ``findall`` (white space and commas between tokens dropped):
#: a comment to the end of the line (``!`` or ``//``), ``=``, a delimited value closed on the
#: line (delimiters kept), a lone delimiter (unclosed or stray: an error), or a bare word
#: (which a ``//`` also ends). Every character is covered by one alternative, so nothing is
#: skipped silently.
_PLAIN = r"[^ \t\f\v\r=,!()\[\]{}\"'/]"
_TOKENS = re.compile(
    r"[ \t\f\v\r,]*("
    r"(?:!|//).*|=|\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|\"[^\"]*\"|'[^']*'|[()\[\]{}\"']"
    # A bare word: plain characters and single slashes (a loop unrolled for speed).
    rf"|{_PLAIN}+(?:/(?!/){_PLAIN}*)*|/(?!/){_PLAIN}*(?:/(?!/){_PLAIN}*)*)"
)


class Value(NamedTuple):
    """A parameter value as written.

    Parameters
    ----------
    text
        The value without its delimiters.
    delim
        ``""`` for a bare word, else the opening delimiter (``(``, ``[``, ``{``, ``"``, ``'``).
    fname
        File name (as shown in messages).
    line
        1-based line number.
    """

    text: str
    delim: str
    fname: str
    line: int

    @property
    def where(self) -> str:
        """``file:line`` for messages."""
        return f"{self.fname}:{self.line}"

    def shown(self) -> str:
        """The value as written (delimiters restored), for messages."""
        if not self.delim:
            return self.text
        return f"{self.delim}{self.text}{_CLOSERS[self.delim]}"


class Param(NamedTuple):
    """One parameter: ``key=value`` (``key`` as written) or a positional value (``key=None``)."""

    key: str | None
    value: Value


class Command(NamedTuple):
    """One command (continuation lines joined) and where it starts."""

    params: tuple[Param, ...]
    fname: str
    line: int

    @property
    def where(self) -> str:
        """``file:line`` for messages."""
        return f"{self.fname}:{self.line}"


def _fail(fname: str, line: int, what: str) -> InputError:
    return InputError(f"{fname}:{line}: {what}")


#: First character of a token -> its kind (a bare word's first character is not listed,
#: except ``/``, which starts a word unless it starts ``//``).
_FIRST = {
    "=": "=", "!": "comment", "/": "/", ")": "close", "]": "close", "}": "close",
    **dict.fromkeys(_CLOSERS, "open"),
}  # fmt: skip
#: Tuple construction without the named tuples' Python-level ``__new__`` (6,000 commands and
#: 60,000 values in IEEE 8500: this is the lexer's hot path).
_new = tuple.__new__


def _tokens(line: str, fname: str, lineno: int) -> list[Value | str]:
    """Values of one physical line, with ``"="`` marking an assignment sign."""
    out: list[Value | str] = []
    for tok in _TOKENS.findall(line):
        first = tok[0]
        kind = _FIRST.get(first)
        if kind is None or (kind == "/" and not tok.startswith("//")):
            out.append(_new(Value, (tok, "", fname, lineno)))
        elif kind == "=":
            out.append("=")
        elif kind == "open":
            if len(tok) == 1:
                raise _fail(fname, lineno, f"{first!r} is not closed on its line")
            out.append(_new(Value, (tok[1:-1], first, fname, lineno)))
        elif kind == "close":
            raise _fail(fname, lineno, f"{first!r} has no matching opening bracket")
        else:  # a comment
            break
    return out


def _params(items: list[Value | str], fname: str, line: int) -> list[Param]:
    params: list[Param] = []
    k = 0
    n = len(items)
    while k < n:
        item = items[k]
        if type(item) is str:
            raise _fail(fname, line, "'=' without a property name before it")
        assert isinstance(item, Value)
        if k + 1 < n and items[k + 1] == "=":
            if item.delim:
                raise _fail(fname, line, f"property name {item.shown()!r} cannot be delimited")
            if k + 2 >= n or type(items[k + 2]) is str:
                raise _fail(fname, line, f"'{item.text}=' has no value")
            params.append(_new(Param, (item.text, items[k + 2])))
            k += 3
        else:
            params.append(_new(Param, (None, item)))
            k += 1
    return params


def read_commands(text: str, fname: str) -> list[Command]:
    """Cut an OpenDSS script into commands.

    Parameters
    ----------
    text
        File contents.
    fname
        File name used in messages.

    Returns
    -------
    list of Command
        One per command, continuation lines joined; empty lines and comments dropped.

    Raises
    ------
    InputError
        Unclosed delimiters or block comments, ``=`` without a name or value, a continuation
        line with no command to continue.
    """
    commands: list[tuple[int, list[Value | str]]] = []
    in_block = 0
    # Split on "\n" only (not str.splitlines), so line numbers match what editors show.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if in_block:
            if "*/" in stripped:
                in_block = 0
            continue
        if stripped.startswith("/*"):
            if "*/" not in stripped[2:]:
                in_block = lineno
            continue
        tilde = stripped[:1] == "~"
        more = stripped[:4].lower() == "more" and (len(stripped) == 4 or stripped[4].isspace())
        if tilde or more:
            body = stripped[1:] if tilde else stripped[4:]
            items = _tokens(body, fname, lineno)
            if not items:
                continue
            if not commands:
                raise _fail(fname, lineno, "continuation line with no command before it")
            commands[-1][1].extend(items)
            continue
        items = _tokens(raw, fname, lineno)
        if items:
            commands.append((lineno, items))
    if in_block:
        raise _fail(fname, in_block, "block comment '/*' is never closed")
    return [Command(tuple(_params(items, fname, line)), fname, line) for line, items in commands]
