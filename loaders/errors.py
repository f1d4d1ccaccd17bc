"""The one error type for bad input: it names the file, the line and the field."""

from __future__ import annotations


class InputError(Exception):
    """Bad input, refused before anything is written (the CLI exits 2).

    >>> str(InputError("cases.json", "Case C1: date is not YYYY-MM-DD", line=12, field="date"))
    'cases.json:12: date: Case C1: date is not YYYY-MM-DD'
    """

    def __init__(
        self, file: str, message: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class InputErrors(InputError):
    """Several input errors found in one validation pass, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.file, first.message, line=first.line, field=first.field)

    def __str__(self) -> str:
        more = len(self.errors) - 1
        lines = [str(InputError.__str__(e)) for e in self.errors[:20]]
        if more >= 20:
            lines.append(f"... and {len(self.errors) - 20} more")
        return "\n".join(lines)


class LoadStopped(RuntimeError):
    """The store failed in the middle of a load (killed, disk full): the CLI exits 1 with one
    line naming the batch that stopped and what is already in; running the load again
    completes it."""
