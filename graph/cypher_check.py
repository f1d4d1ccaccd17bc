"""The friendly first refusal of analyst Cypher: a real tokenizer and an allowlist.

The guarantee that an analyst's query never writes lives in the store (a store account that
may only read, see `graph/server.py` and `Store.query`). This check comes first so that the
usual mistake gets a clear message before anything is sent, and so that what the store would
refuse anyway never reaches it. It works on tokens, not on the raw text:

- comments end at *every* character any Cypher dialect takes as a line break (`\\n`, `\\r`,
  `\\u2028`, ...), so text that one store reads as code is never skipped as a comment here;
  block comments do not nest; a comment or string left open is refused;
- strings and backtick-quoted names are tokens of their own, so a keyword inside them is
  only text, while a keyword split by a comment (`LOAD/**/CSV`) is still two keywords;
- every word in keyword position (not a property, label, map key or namespace) is checked
  against the clauses that write, read files or change the session (`LOAD`, `USE`,
  `... IN TRANSACTIONS`, schema and admin commands);
- `CALL name(...)` is allowed only for the named read procedures of `READ_PROCEDURES`,
  whatever quoting or comments the name is written with; namespaced functions only from the
  namespaces of `READ_FUNCTION_NAMESPACES`.

>>> refusal("MATCH (n {name: 'CREATE'}) RETURN n") is None
True
>>> refusal("MATCH (n) DETACH DELETE n")
'the statement writes (DETACH)'
>>> refusal("LOAD/**/CSV FROM 'file:///etc/passwd' AS r RETURN r")
'the statement reads files (LOAD)'
>>> refusal("CALL `db`.`labels`() YIELD label RETURN label") is None
True
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

# Words that begin a clause which writes data or schema.
WRITE_WORDS = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "FOREACH", "ALTER",
    "RENAME", "INSERT", "UPSERT",
})
# Words that begin a command about the server, its users or its session, not the graph.
ADMIN_WORDS = frozenset({
    "GRANT", "DENY", "REVOKE", "SHOW", "START", "STOP", "TERMINATE", "ENABLE", "DISABLE",
    "USE", "TRANSACTIONS", "FINISH", "SESSION", "CATALOG",
})
FILE_WORDS = frozenset({"LOAD", "IMPORT", "EXPORT", "BACKUP", "RESTORE"})

# Named procedures that only read the schema or the server's description.
READ_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties", "db.indexes",
    "db.constraints", "db.info", "db.ping", "dbms.components", "dbms.procedures",
    "dbms.functions",
})
# Namespaces of functions that compute values and touch nothing else (no `util.sleep`, no
# scripting, no SQL, no plugins).
READ_FUNCTION_NAMESPACES = frozenset({
    "text", "coll", "map", "math", "convert", "date", "datetime", "localdatetime",
    "localtime", "time", "duration", "point", "create", "agg", "node", "rel", "path",
    "vector", "db", "string",
})

# Every character some Cypher parser takes as the end of a line (a `//` comment ends there).
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
PUNCTUATION = frozenset("()[]{},.:;|+-*/%^=<>!~&?@#")


class CypherRefused(ValueError):
    """The statement cannot be read, or does what an analyst's query may not do."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "quoted" (a backtick name), "string", "number", "param", "punct"
    text: str
    at: int  # offset in the statement, for messages

    @property
    def upper(self) -> str:
        return self.text.upper()


def _is_space(ch: str) -> bool:
    # Format characters (zero-width space, joiners, BOM) are not whitespace: a parser in Java
    # may ignore them inside a name (`CRE\u200bATE`), so they fall through and are refused.
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def tokens(statement: str) -> list[Token]:
    """The statement's tokens, without whitespace and comments.

    >>> [t.text for t in tokens("MATCH (n) // a comment\\rRETURN n")]
    ['MATCH', '(', 'n', ')', 'RETURN', 'n']
    >>> [t.kind for t in tokens("RETURN 'a\\\\'b', `x``y`, $p, 1.5e3")]
    ['word', 'string', 'punct', 'quoted', 'punct', 'param', 'punct', 'number']
    """
    out: list[Token] = []
    i, n = 0, len(statement)
    while i < n:
        ch = statement[i]
        if "\ud800" <= ch <= "\udfff":
            raise CypherRefused(f"the statement holds a lone surrogate at offset {i}; it is "
                                "not valid Unicode text")
        if _is_space(ch):
            i += 1
        elif statement.startswith("//", i):
            while i < n and statement[i] not in LINE_BREAKS:
                i += 1
        elif statement.startswith("/*", i):
            end = statement.find("*/", i + 2)
            if end < 0:
                raise CypherRefused(f"a comment opened at offset {i} is never closed")
            i = end + 2
        elif ch in "'\"":
            j = i + 1
            while j < n and statement[j] != ch:
                j += 2 if statement[j] == "\\" else 1
            if j >= n:
                raise CypherRefused(f"a string opened at offset {i} is never closed")
            out.append(Token("string", statement[i:j + 1], i))
            i = j + 1
        elif ch == "`":
            j, name = i + 1, []
            while True:
                end = statement.find("`", j)
                if end < 0:
                    raise CypherRefused(f"a `quoted name` opened at offset {i} is never closed")
                name.append(statement[j:end])
                if statement.startswith("``", end):  # a doubled backtick is one backtick
                    name.append("`")
                    j = end + 2
                    continue
                break
            out.append(Token("quoted", "".join(name), i))
            i = end + 1
        elif ch == "$":
            j = i + 1
            while j < n and (statement[j].isalnum() or statement[j] == "_"):
                j += 1
            if j == i + 1 and statement.startswith("`", j):  # $`odd name`
                close = statement.find("`", j + 1)
                if close < 0:
                    raise CypherRefused(f"a parameter name opened at offset {i} is never "
                                        "closed")
                j = close + 1
            out.append(Token("param", statement[i:j], i))
            i = j
        elif ch.isdigit():
            j = i
            while j < n and (statement[j].isalnum() or statement[j] in "._"):
                if statement[j] == "." and not (j + 1 < n and statement[j + 1].isdigit()):
                    break
                if statement[j] in "eE" and j + 1 < n and statement[j + 1] in "+-":
                    j += 1
                j += 1
            out.append(Token("number", statement[i:j], i))
            i = j
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and (statement[j].isalnum() or statement[j] == "_"):
                j += 1
            out.append(Token("word", statement[i:j], i))
            i = j
        elif ch in PUNCTUATION:
            out.append(Token("punct", ch, i))
            i += 1
        else:
            raise CypherRefused(f"the statement holds a character Cypher does not use here: "
                                f"{ch!r} (U+{ord(ch):04X}) at offset {i}")
    return out


def _name_at(toks: list[Token], start: int) -> tuple[str, int]:
    """A dotted name (`a.b.c`, parts quoted or not) from toks[start]; the name, the next index."""
    parts, i = [], start
    while i < len(toks) and toks[i].kind in ("word", "quoted"):
        parts.append(toks[i].text)
        if i + 1 < len(toks) and toks[i + 1].text == ".":
            i += 2
        else:
            i += 1
            break
    return ".".join(parts), i


def _keyword_position(toks: list[Token], i: int) -> bool:
    """Whether the word toks[i] may be a keyword: not a property, label, map key, namespace."""
    before = toks[i - 1].text if i > 0 and toks[i - 1].kind == "punct" else ""
    after = toks[i + 1].text if i + 1 < len(toks) and toks[i + 1].kind == "punct" else ""
    if before in (".", ":", "|"):
        return False
    if after == ".":  # a namespace (`create.uuid()`) or a variable's property
        return False
    # A map key: `{create: 1}` or `, set: 2` inside braces.
    return not (after == ":" and before in ("{", ","))


@functools.lru_cache(maxsize=1024)  # named queries are checked once, not on every call
def refusal(statement: str) -> str | None:
    """Why an analyst may not run `statement`, or None when it only reads.

    >>> refusal("RETURN create.uuid() AS id") is None
    True
    >>> refusal("CALL apoc.do.when(true, $q, '', {})")
    'the procedure apoc.do.when is not one of the read procedures medgraph allows'
    >>> refusal("MATCH (n) CALL { WITH n SET n.x = 1 } IN TRANSACTIONS")
    'the statement writes (SET)'
    >>> refusal("RETURN util.sleep(1000)")
    'the function util.sleep is not in a namespace medgraph allows (text, coll, math, ...)'
    """
    try:
        toks = tokens(statement)
    except CypherRefused as exc:
        return str(exc)
    if not toks:
        return "the statement is empty"
    for i, tok in enumerate(toks):
        before = toks[i - 1] if i > 0 else None
        if (tok.kind in ("word", "quoted") and i + 1 < len(toks) and toks[i + 1].text == "."
                and (before is None or before.text not in (".", ":"))
                and (before is None or before.upper != "CALL")):
            name, after = _name_at(toks, i)
            namespace = name.split(".")[0].lower()
            if (after < len(toks) and toks[after].text == "("  # a namespaced function call
                    and namespace not in READ_FUNCTION_NAMESPACES):
                return (f"the function {name} is not in a namespace medgraph allows "
                            "(text, coll, math, ...)")
        if tok.kind != "word" or not _keyword_position(toks, i):
            continue
        word = tok.upper
        if word in WRITE_WORDS:
            return f"the statement writes ({word})"
        if word in FILE_WORDS:
            return f"the statement reads files ({word})"
        if word in ADMIN_WORDS:
            return f"the statement is a command about the server or its session ({word})"
        if word == "CALL":
            if i + 1 == len(toks):
                return "CALL names nothing"
            if toks[i + 1].text in ("{", "("):  # a subquery: its tokens are checked in turn
                continue
            name, _ = _name_at(toks, i + 1)
            if name.lower() not in READ_PROCEDURES:
                return (f"the procedure {name} is not one of the read procedures medgraph "
                        "allows")
    return None
