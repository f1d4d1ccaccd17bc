"""Settlement input: persons, their certificates and their cases, as columns.

Two formats carry the same fields (docs/settlement.md): one JSON document
`{"persons": [...], "cases": [...]}` or a folder with persons.csv,
certificates.csv and cases.csv. Either is checked completely before anything is
settled; a bad record raises InputError naming the file, the record (CSV line,
or JSON index and id) and the field.

Columns are numpy arrays so that the vectorised engine reads them without a
per-case Python step: money in integer fen (input amounts rounded to the
nearest fen), dates as day numbers since 1970-01-01.

CSV files are read by Arrow's reader (in C++, as text columns) and converted by
Arrow's kernels: at four million cases, splitting the text into Python strings
took 20 s and 4 GB. Each conversion below has one meaning, given by its Python
code: the Arrow path is taken only when it gives the same result, and any value
it does not take (a bad one, or one only Python reads, like " 12.5") sends the
column through the Python code, which also names the record and field of a
bad value.

>>> inp = parse_input({"persons": [{"id": "P1", "household_id": "H1", "enrolled": True,
...     "certificates": []}], "cases": [{"id": "C1", "person_id": "P1",
...     "date": "2024-03-10", "setting": "inpatient", "total_cost": 1000.5,
...     "policy_scope_cost": 800, "referred": True, "facility_level": "county"}]})
>>> int(inp.total_fen[0]), int(inp.paid_bmi_fen[0])
(100050, -1)
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import yaml

from medgraph.loaders.errors import InputError
from medgraph.loaders.model import data_dir
from medgraph.settlement.rules import FACILITY_LEVELS, SETTINGS

PAID = ("basic_medical_insurance", "critical_illness_insurance", "other_medical_aid")
TRUE = frozenset({"true", "True", "TRUE", "1", "yes"})
FALSE = frozenset({"false", "False", "FALSE", "0", "no"})
MAX_YUAN = 1e9
# What the store can hold and a person can be: ids and other texts of at most MAX_TEXT
# characters of valid UTF-8 (no lone surrogates, which JSON can carry), birth years in
# BIRTH_YEARS, dates from year 1 (0000-01-01 reads as a date in numpy, in no store).
MAX_TEXT = 200
BIRTH_YEARS = range(1880, 2101)
FIRST_DAY = int(np.datetime64("0001-01-01", "D").astype(np.int64))
NOT_GIVEN = -1  # in paid_*_fen: the case carries no payment of its own for the scheme
NO_LEVEL = -1   # in case_level: the case gives no facility level (read only where a rule needs it)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
READERS = max(1, min(4, os.cpu_count() or 1))  # threads that look up the persons of cases

# Where the bad value is: (file, line or None, field, what to say about the record).
Locate = Callable[[int, str], tuple[str, int | None, str, str]]


@cache
def known_categories() -> tuple[str, ...]:
    """The beneficiary category codes a certificate may name: those of the glossary
    (data/common/glossary.yaml), then the document-specific ones the shipped models define
    (namespaced, e.g. lingqiu.four_party_enrollees, the holders of Lingqiu's linkage card)."""
    def codes(path: Path) -> list[str]:
        text = path.read_text("utf-8")
        if "BeneficiaryCategory" not in text:  # most files define none: not parsed
            return []
        # libyaml's loader: the pure-Python one took a second for the shipped models
        raw = yaml.load(text, Loader=SAFE_LOADER) or {}
        return [e["code"] for e in raw.get("entities") or []
                if e.get("label") == "BeneficiaryCategory" and e.get("code")]
    glossary = codes(data_dir() / "common" / "glossary.yaml")
    specific = {code for path in sorted(data_dir().glob("*/*.yaml"))
                if path.parent.name != "common" for code in codes(path) if "." in code}
    return (*glossary, *sorted(specific - set(glossary)))


@dataclass
class SettlementInput:
    """Persons, certificates and cases of one input, as columns (one row per record)."""

    source: str
    person_ids: list[str]
    household_ids: list[str | None]
    enrolled: np.ndarray          # bool: in basic medical insurance
    birth_year: list[int | None]
    cert_person: np.ndarray       # int64 index into person_ids
    cert_category: np.ndarray     # int64 index into known_categories()
    cert_from: np.ndarray         # int64 day number
    cert_to: np.ndarray
    cert_illness: np.ndarray      # bool: granted because of illness (due_to_illness)
    case_ids: list[str]
    case_person: np.ndarray       # int64 index into person_ids
    case_day: np.ndarray          # int64 day number
    case_setting: np.ndarray      # int64 index into SETTINGS
    case_level: np.ndarray        # int64 index into FACILITY_LEVELS, NO_LEVEL when not given
    total_fen: np.ndarray         # int64
    scope_fen: np.ndarray         # int64, policy-scope cost
    referred: np.ndarray          # bool
    paid_bmi_fen: np.ndarray      # int64, NOT_GIVEN when the case carries none
    paid_cii_fen: np.ndarray
    huiminbao: np.ndarray         # bool: bought huiminbao (000 §3.2 开放投保); default false
    paid_oma_fen: np.ndarray      # int64, other medical aid given on the case (002 二(二))
    csv: bool = False             # read from a CSV folder (errors name cases.csv and the line)
    case_row: np.ndarray | None = None  # in a subset: each case's row in the input read
    district: list[str | None] | None = None  # per person: the district code given, if any

    def __len__(self) -> int:
        return len(self.case_ids)

    def case_error(self, i: int, name: str, message: str) -> InputError:
        """An error about field `name` of case i, naming its file and line (CSV) or index."""
        record = f"case {self.case_ids[i]!r}: {message}"
        if self.case_row is not None:
            i = int(self.case_row[i])
        if self.csv:
            return InputError(str(Path(self.source) / "cases.csv"), record, line=i + 2,
                              field=name)
        return InputError(self.source, record, field=f"cases[{i}].{name}")

    def subset(self, persons: np.ndarray) -> SettlementInput:
        """These persons (indices into person_ids) with their certificates and cases.

        Caps, deductibles and thresholds run per person and year, so settling a subset of
        persons gives each of them what settling everyone does: the case loader settles and
        writes a large input a batch of households at a time, in bounded memory.
        """
        persons = np.unique(np.asarray(persons, dtype=np.int64))
        renumber = np.full(len(self.person_ids), -1, dtype=np.int64)
        renumber[persons] = np.arange(len(persons))
        certs = renumber[self.cert_person] >= 0
        cases = np.flatnonzero(renumber[self.case_person] >= 0)
        return SettlementInput(
            source=self.source,
            person_ids=[self.person_ids[i] for i in persons.tolist()],
            household_ids=[self.household_ids[i] for i in persons.tolist()],
            enrolled=self.enrolled[persons],
            birth_year=[self.birth_year[i] for i in persons.tolist()],
            cert_person=renumber[self.cert_person[certs]],
            cert_category=self.cert_category[certs], cert_from=self.cert_from[certs],
            cert_to=self.cert_to[certs], cert_illness=self.cert_illness[certs],
            case_ids=[self.case_ids[i] for i in cases.tolist()],
            case_person=renumber[self.case_person[cases]], case_day=self.case_day[cases],
            case_setting=self.case_setting[cases], case_level=self.case_level[cases],
            total_fen=self.total_fen[cases], scope_fen=self.scope_fen[cases],
            referred=self.referred[cases], paid_bmi_fen=self.paid_bmi_fen[cases],
            paid_cii_fen=self.paid_cii_fen[cases], huiminbao=self.huiminbao[persons],
            paid_oma_fen=self.paid_oma_fen[cases], csv=self.csv,
            case_row=cases if self.case_row is None else self.case_row[cases],
            district=None if self.district is None
            else [self.district[i] for i in persons.tolist()],
        )


CASE_FIELDS = ("case_person", "case_day", "case_setting", "case_level", "total_fen", "scope_fen",
               "referred", "paid_bmi_fen", "paid_cii_fen", "paid_oma_fen")


def years_of(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day number.

    >>> years_of(np.array([0, 364, 365, 20089])).tolist()
    [1970, 1970, 1971, 2025]
    """
    def year(d: np.ndarray) -> np.ndarray:
        return d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    if not len(days):
        return year(days)
    # Cases span a few years: the year of each day of that span, once, then looked up
    # (numpy's calendar conversion took 0.2 s for four million cases, the lookup 0.02).
    low, high = int(days.min()), int(days.max())
    if high - low > 1 << 16:
        return year(days)
    return year(np.arange(low, high + 1, dtype=np.int64))[days - low]


def cases_of_year(inp: SettlementInput, year: int | None) -> SettlementInput:
    """The input with only the cases dated in `year` (all of them when None). Caps run per
    person and calendar year, so leaving other years out changes no payment of this one."""
    if year is None:
        return inp
    keep = np.flatnonzero(years_of(inp.case_day) == year)
    if len(keep) == len(inp) and inp.case_row is not None:
        return inp  # already these cases (read_input with year): the same rows named
    return dataclasses.replace(
        inp, case_ids=[inp.case_ids[i] for i in keep.tolist()],
        case_row=keep if inp.case_row is None else inp.case_row[keep],
        **{name: getattr(inp, name)[keep] for name in CASE_FIELDS})


# -- reading ---------------------------------------------------------------------------------

def read_input(path: str | Path, *, year: int | None = None) -> SettlementInput:
    """Read a JSON file or a folder of CSV files (persons.csv, certificates.csv, cases.csv).

    With `year`, only the cases dated in that year are kept (as `cases_of_year` does,
    `case_row` naming each one's line); every record of the input is still checked. From a
    CSV folder the other years' cases are then never turned into Python objects, which is
    most of the time of reading a city."""
    path = Path(path)
    if path.is_dir():
        return _read_csv_folder(path, year)
    if not path.is_file():
        raise InputError(str(path), "no such file or folder")
    obj = read_json(path, " (the format is two levels of lists of objects)")
    inp = parse_input(obj, source=str(path))
    return inp if year is None else cases_of_year(inp, year)


def read_json(path: Path, shape: str = "") -> Any:
    """A JSON file's content; InputError naming the file (and the line) when it is not JSON.
    `shape` says, after "nested too deeply", what the input should look like."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not valid JSON: {exc}",
                         line=getattr(exc, "lineno", None)) from None
    except RecursionError:
        raise InputError(str(path), f"not valid input: JSON nested too deeply{shape}") from None


def parse_input(obj: Any, source: str = "<request>") -> SettlementInput:
    """Check and convert a JSON-shaped dict `{"persons": [...], "cases": [...]}`."""
    if not isinstance(obj, dict) or not isinstance(obj.get("persons"), list) \
            or not isinstance(obj.get("cases"), list):
        raise InputError(source, 'expected {"persons": [...], "cases": [...]}', field="persons")
    persons, cases = obj["persons"], obj["cases"]
    certs: list[dict[str, Any]] = []
    cert_where: list[tuple[int, int]] = []
    for i, person in enumerate(persons):
        if not isinstance(person, dict):
            raise InputError(source, f"persons[{i}] is not an object", field=f"persons[{i}]")
        held = person.get("certificates") or []
        if not isinstance(held, list):
            raise InputError(source, f"person {person.get('id')!r}: not a list",
                             field=f"persons[{i}].certificates")
        for j, cert in enumerate(held):
            if not isinstance(cert, dict):
                raise InputError(source, f"person {person.get('id')!r}: not an object",
                                 field=f"persons[{i}].certificates[{j}]")
            certs.append({**cert, "person_id": person.get("id")})
            cert_where.append((i, j))
    for i, item in enumerate(cases):
        if not isinstance(item, dict):
            raise InputError(source, f"cases[{i}] is not an object", field=f"cases[{i}]")
        paid = item.get("paid") or {}
        if not isinstance(paid, dict):
            raise InputError(source, f"case {item.get('id')!r}: paid must be an object",
                             field=f"cases[{i}].paid")
        for code in paid:
            if code not in PAID:
                raise InputError(source, f"case {item.get('id')!r}: unknown scheme code {code!r}"
                                 f" (paid may give {', '.join(PAID)})", field=f"cases[{i}].paid")

    def json_locate(table: str, records: list, where: Callable[[int], str]) -> Locate:
        def locate(i: int, name: str) -> tuple[str, int | None, str, str]:
            ident = records[i].get("id") if isinstance(records[i], dict) else None
            return source, None, f"{where(i)}.{name}", f"{table} {_short(ident)}" if ident \
                else table
        return locate

    def column(records: list[dict], name: str) -> list[Any]:
        return [r.get(name) for r in records]

    def paid_column(code: str) -> list[Any]:
        return [(c.get("paid") or {}).get(code) for c in cases]

    return _build(
        source,
        persons=({n: column(persons, n) for n in ("id", "household_id", "enrolled", "birth_year",
                                                  "huiminbao", "district")},
                 json_locate("person", persons, lambda i: f"persons[{i}]")),
        certs=({n: column(certs, n) for n in ("person_id", "category", "valid_from", "valid_to",
                                              "due_to_illness")},
               json_locate("certificate", certs, lambda k: "persons[{}].certificates[{}]".format(
                   *cert_where[k]))),
        cases=({**{n: column(cases, n) for n in (
            "id", "person_id", "date", "setting", "total_cost", "policy_scope_cost", "referred",
            "facility_level")}, **{f"paid_{code}": paid_column(code) for code in PAID}},
            json_locate("case", cases, lambda i: f"cases[{i}]")),
        from_json=True,
    )


CSV_FILES = {
    "persons.csv": (("id", "household_id", "enrolled"), ("birth_year", "huiminbao", "district")),
    "certificates.csv": (("person_id", "category", "valid_from", "valid_to", "due_to_illness"),
                         ()),
    # facility_level is optional here: a case must give it only where a rule of the model
    # reads it (checked when settling, settlement.check_required)
    "cases.csv": (("id", "person_id", "date", "setting", "total_cost", "policy_scope_cost",
                   "referred"),
                  ("facility_level", *(f"paid_{code}" for code in PAID))),
}


# Columns of amounts in yuan: Arrow's reader parses them while it reads, in its threads (a
# second less than casting the texts after, at four million cases).
AMOUNTS = {"cases.csv": ("total_cost", "policy_scope_cost", *(f"paid_{code}" for code in PAID))}


def _read_csv_folder(folder: Path, year: int | None = None) -> SettlementInput:
    tables = {}
    for name, (required, optional) in CSV_FILES.items():
        path = folder / name
        if not path.is_file():
            # A missing certificates.csv is refused too: settling as if nobody held a
            # certificate is not a guess to make silently; a file with only its header says so.
            raise InputError(str(path), f"missing; a CSV input folder holds {', '.join(CSV_FILES)}"
                             + (" (a certificates.csv with only its header line says nobody "
                                "holds a certificate)" if name == "certificates.csv" else ""))
        tables[name] = (_read_csv(path, required, optional, AMOUNTS.get(name, ())),
                        _csv_locate(str(path), name))
    inp = _build(str(folder), persons=tables["persons.csv"],
                 certs=tables["certificates.csv"], cases=tables["cases.csv"], from_json=False,
                 year=year)
    del tables
    # Arrow's allocator keeps what it freed for reuse: at four million cases, 600 MB that
    # nothing else in the process could use.
    pa.default_memory_pool().release_unused()
    return inp


def _csv_locate(file: str, name: str) -> Locate:
    record = {"persons.csv": "person", "certificates.csv": "certificate"}.get(name, "case")
    return lambda i, field: (file, i + 2, field, record)  # line 1 is the header


def _read_csv(path: Path, required: Sequence[str], optional: Sequence[str],
              amounts: Sequence[str] = ()) -> dict[str, pa.ChunkedArray]:
    """The wanted columns of a CSV file, as Arrow text columns, the `amounts` as numbers
    where every one of them reads as an amount in range."""
    with path.open("rb") as f:
        first = f.readline()
    try:
        header_line = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc.reason}", line=1) from None
    if not header_line.strip():
        raise InputError(str(path), "empty file: no header", line=1)
    if "\r" in header_line.rstrip("\r\n"):
        raise InputError(str(path), "lines end in CR alone (classic Mac); save the file with "
                         "LF or CRLF line endings", line=1)
    header = [h.strip() for h in next(csv.reader([header_line.rstrip("\r\n")]))]
    for k, name in enumerate(header):
        if name in header[:k]:
            raise InputError(str(path), f"column {name!r} appears twice in the header", line=1,
                             field=name)
    for name in required:
        if name not in header:
            raise InputError(str(path), f"missing column {name!r}", line=1, field=name)
    wanted = [name for name in header if name in {*required, *optional}]
    amounts = [name for name in amounts if name in wanted]
    table = _arrow_read(path, header, wanted, amounts) if amounts else None
    if table is None or not _amounts_ok(table, amounts, required):
        # a value Arrow does not read as an amount, or one out of range or missing where
        # required: every column as text, for the checks that name the record and field
        table = _arrow_read(path, header, wanted, ())
        if table is None:
            raise _malformed(path, len(header)) or InputError(
                str(path), "not a readable CSV file")
    return {name: table[name] for name in wanted}


def _arrow_read(path: Path, header: list[str], wanted: list[str], amounts: Sequence[str]
                ) -> pa.Table | None:
    """The wanted columns, all as text but `amounts` as numbers (empty: null); None when
    Arrow cannot read the file so (a field count that is not the header's, a bad amount)."""
    try:
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.float64() if name in amounts else pa.string()
                              for name in header},
                include_columns=wanted, strings_can_be_null=False, null_values=[""],
                quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None


def _amounts_ok(table: pa.Table, amounts: Sequence[str], required: Sequence[str]) -> bool:
    """Every amount Arrow read is in range (finite, not negative, at most MAX_YUAN), and
    none is missing from a required column: nothing for the checks of the texts to find."""
    for name in amounts:
        column = table[name]
        if name in required and column.null_count:
            return False
        low, high = pc.min_max(column).values()  # nulls when there is no amount
        if low.is_valid and not (low.as_py() >= 0 and high.as_py() <= MAX_YUAN):
            return False
        if pc.any(pc.is_nan(column)).as_py():
            return False
    return True


def _malformed(path: Path, width: int) -> InputError | None:
    """The first line that is not UTF-8 or whose number of fields is not the header's."""
    with path.open("rb") as f:
        for i, raw in enumerate(f):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(str(path), f"not UTF-8 text: {exc.reason}", line=i + 1)
            fields = len(next(csv.reader([line]), []))
            if i and fields != width:
                return InputError(str(path), f"{fields} fields, the header has {width}",
                                  line=i + 1)
    return None


# -- checking and converting columns -----------------------------------------------------------

def _fail(locate: Locate, i: int, name: str, message: str) -> InputError:
    file, line, fieldname, record = locate(i, name)
    return InputError(file, f"{record}: {message}", line=line, field=fieldname)


def _is_arrow(col: Any) -> bool:
    return isinstance(col, pa.Array | pa.ChunkedArray)


def _as_list(col: Any) -> Sequence[Any]:
    return col.to_pylist() if _is_arrow(col) else col


def _all_text(col: Sequence[Any]) -> bool:
    return set(map(type, col)) <= {str}


def _texts(col: Sequence[Any], locate: Locate, name: str, *, required: bool = True) -> list[Any]:
    """Texts of at most MAX_TEXT characters of valid UTF-8 (None or "" where not required)."""
    if _arrow_texts_ok(col, required):
        return col.to_pylist()
    out = list(_as_list(col))
    if _all_text(out) and not (required and "" in out) and _storable(out):
        return out
    for i, value in enumerate(out):
        if value is None or value == "":
            if required:
                raise _fail(locate, i, name, "missing")
        elif not isinstance(value, str):
            raise _fail(locate, i, name, f"expected text, got {_short(value)}")
        elif len(value) > MAX_TEXT:
            raise _fail(locate, i, name, f"text of {len(value):,} characters; at most "
                        f"{MAX_TEXT} are taken")
        elif not _storable([value]):
            raise _fail(locate, i, name, f"not valid UTF-8 text (it holds a lone surrogate): "
                        f"{_short(value)}")
    return out


def _arrow_texts_ok(col: Any, required: bool) -> bool:
    """An Arrow text column that needs no check row by row: Arrow's reader has checked its
    UTF-8 (which cannot hold a lone surrogate), so what is left is the length and, where
    required, no empty value. False sends the column through the Python checks."""
    if not _is_arrow(col) or col.null_count:
        return False
    if len(col) == 0:
        return True
    if required and pc.any(pc.equal(col, "")).as_py():
        return False
    return pc.max(pc.utf8_length(col)).as_py() <= MAX_TEXT


def _storable(texts: list[Any]) -> bool:
    """No text longer than MAX_TEXT, and all of them encodable as UTF-8 (checked at once)."""
    strings = [t for t in texts if isinstance(t, str)]
    if strings and max(map(len, strings)) > MAX_TEXT:
        return False
    try:
        "".join(strings).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text):,} characters)"


def _arrow_index(col: Any, values: Any) -> np.ndarray | None:
    """The position of each text of an Arrow column in `values`; None if one is not there."""
    found = pc.index_in(col, value_set=values if _is_arrow(values) else pa.array(values,
                                                                                pa.string()))
    if found.null_count:
        return None
    return np.asarray(found.to_numpy(), dtype=np.int64)


def _lookup(col: Sequence[Any], index: dict[Any, int], dtype: Any = np.int64) -> np.ndarray:
    """index[value] for every value, in C (map over the dict's __getitem__); KeyError if any
    value is not in the index."""
    return np.fromiter(map(index.__getitem__, col), dtype=dtype, count=len(col))


def _codes(col: Sequence[Any], choices: Sequence[str], locate: Locate, name: str) -> np.ndarray:
    index = {c: k for k, c in enumerate(choices)}
    if _is_arrow(col):
        found = _arrow_index(col, list(index))
        if found is not None:
            return found
        col = col.to_pylist()
    try:
        return _lookup(col, index)
    except (KeyError, TypeError):
        for i, value in enumerate(col):
            if not isinstance(value, str) or value not in index:
                raise _fail(locate, i, name, f"unknown code {_short(value)}; expected one of "
                            f"{', '.join(choices)}") from None
        raise


BOOLS = {**dict.fromkeys(TRUE, True), **dict.fromkeys(FALSE, False)}


def _bools(col: Sequence[Any], locate: Locate, name: str, default: bool | None = None
           ) -> np.ndarray:
    table: dict[Any, bool] = dict(BOOLS)
    if default is not None:
        table.update({"": default, None: default})
    if _is_arrow(col):
        texts = [k for k in table if isinstance(k, str)]
        found = _arrow_index(col, texts)
        if found is not None:
            return np.array([table[k] for k in texts], dtype=bool)[found]
        col = col.to_pylist()
    try:
        if set(map(type, col)) <= {str, bool, type(None)}:
            table.update({True: True, False: False})
            return _lookup(col, table, bool)
    except (KeyError, TypeError):
        pass
    for i, value in enumerate(col):
        if type(value) not in (str, bool, type(None)) or value not in table:
            raise _fail(locate, i, name, f"expected true or false, got {_short(value)}")
    raise AssertionError("unreachable")


def _days(col: Sequence[Any], locate: Locate, name: str) -> np.ndarray:
    """YYYY-MM-DD text to day numbers, from 0001-01-01 on (row by row only to find the bad
    one)."""
    days = _day_numbers(col, locate, name)
    if len(days) and int(days.min()) < FIRST_DAY:
        i = int(np.argmin(days))
        raise _fail(locate, i, name, f"expected a date from 0001-01-01 on, got "
                    f"{_as_list(col)[i]!r}")
    return days


def _day_numbers(col: Sequence[Any], locate: Locate, name: str) -> np.ndarray:
    if _is_arrow(col):
        if len(col) == 0:
            return np.zeros(0, dtype=np.int64)
        lengths = pc.min_max(pc.utf8_length(col)).as_py()
        if lengths == {"min": 10, "max": 10}:
            try:
                return np.asarray(col.cast(pa.date32()).cast(pa.int32()).to_numpy(),
                                  dtype=np.int64)
            except pa.ArrowInvalid:
                pass
        col = col.to_pylist()
    values = list(col)
    if _all_text(values) and set(map(len, values)) <= {10}:
        # Dates repeat: convert each distinct text once.
        distinct = dict.fromkeys(values)
        try:
            days = np.array(list(distinct), dtype="datetime64[D]").astype(np.int64)
            return _lookup(values, dict(zip(distinct, days.tolist(), strict=True)))
        except ValueError:
            pass
    for i, value in enumerate(values):
        try:
            if not (isinstance(value, str) and len(value) == 10):
                raise ValueError
            np.datetime64(value, "D")
        except ValueError:
            raise _fail(locate, i, name, f"expected a date YYYY-MM-DD, got {_short(value)}"
                        ) from None
    raise AssertionError("unreachable")


def _money(col: Sequence[Any], locate: Locate, name: str, *, optional: bool = False,
           from_json: bool) -> np.ndarray:
    """Yuan to fen, rounded to the nearest fen; NOT_GIVEN for an empty optional value."""
    if _is_arrow(col):
        parsed = _arrow_yuan(col, optional)
        if parsed is not None and _in_range(parsed[0]).all():
            return _to_fen(*parsed, optional=optional)
        col = col.to_pylist()
    values = list(col)
    given = np.ones(len(values), dtype=bool)
    if optional:
        present = set(values)
        if present <= {None, ""}:
            return np.full(len(values), NOT_GIVEN, dtype=np.int64)
        if None in present or "" in present:
            given = np.fromiter((v not in (None, "") for v in values), dtype=bool,
                                count=len(values))
            values = [v if g else 0 for v, g in zip(values, given.tolist(), strict=True)]
    bad = None
    try:
        if from_json and any(isinstance(v, bool) or not isinstance(v, int | float)
                             for v in values):
            raise ValueError
        yuan = np.array(values, dtype=np.float64)
        finite = _in_range(yuan)
        if not finite.all():
            bad = int(np.argmin(finite))
    except (ValueError, TypeError):
        for i, value in enumerate(values):
            try:
                if from_json and (isinstance(value, bool) or not isinstance(value, int | float)):
                    raise ValueError
                float(value)
            except (ValueError, TypeError):
                bad = i
                break
    if bad is not None:
        raise _fail(locate, bad, name, f"expected an amount in yuan, not negative, got "
                    f"{list(col)[bad]!r}")
    return _to_fen(yuan, given, optional=optional)


def _in_range(yuan: np.ndarray) -> np.ndarray:
    # Up to a billion yuan: rate (ppm) x amount (fen) stays well inside int64.
    return np.isfinite(yuan) & (yuan >= 0) & (yuan <= MAX_YUAN)


def _to_fen(yuan: np.ndarray, given: np.ndarray, *, optional: bool) -> np.ndarray:
    cents = yuan * 100
    fen = np.rint(cents, out=cents).astype(np.int64)  # rounded in place: one array less
    if optional and not given.all():
        fen[~given] = NOT_GIVEN
    return fen


def _arrow_yuan(col: Any, optional: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The amounts of an Arrow text column and which are given; None where the Python code
    must decide (an empty required value, or a text Arrow does not read as a number)."""
    if pa.types.is_floating(col.type):  # read as numbers (_read_csv): empty is null
        if not col.null_count:
            return np.asarray(col.to_numpy(), dtype=np.float64), np.ones(len(col), dtype=bool)
        given = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        return np.asarray(col.fill_null(0.0).to_numpy(), dtype=np.float64), given
    empty = pc.equal(col, "")
    if not optional and pc.any(empty).as_py():
        return None
    try:
        yuan = np.asarray(pc.if_else(empty, "0", col).cast(pa.float64()).to_numpy(),
                          dtype=np.float64)
    except pa.ArrowInvalid:
        return None
    return yuan, ~np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)


def _arrow_ids_ok(col: Any) -> bool:
    """An Arrow column of ids that are all storable texts and all different (in C++)."""
    return _arrow_texts_ok(col, True) and _arrow_distinct(col)


def _arrow_distinct(col: Any) -> bool:
    """No text twice: at once when they come in ascending order (as synth and most exports
    write ids), else by sorting (a third of the time of Arrow's hash count at 4M ids)."""
    if len(col) < 2:
        return True
    if pc.all(pc.less(col[:-1], col[1:])).as_py():
        return True
    ordered = col.take(pc.sort_indices(col))
    return not pc.any(pc.equal(ordered[:-1], ordered[1:])).as_py()


def _ids(col: Sequence[Any], locate: Locate, name: str, *, indexed: bool = True
         ) -> tuple[list[str], dict[str, int]]:
    """The ids, checked unique, and (when `indexed`) the row of each."""
    if not indexed and _arrow_ids_ok(col):
        return col.to_pylist(), {}
    ids = _texts(col, locate, name)
    index = dict(zip(ids, range(len(ids)), strict=True)) if indexed else {}
    if len(index if indexed else set(ids)) != len(ids):
        seen: set[str] = set()
        for i, value in enumerate(ids):
            if value in seen:
                raise _fail(locate, i, name, f"duplicate id {_short(value)}")
            seen.add(value)
    return ids, index


def _refs(col: Sequence[Any], ids: Any, locate: Locate, name: str) -> np.ndarray:
    """The position in `ids` (the persons' ids: a list, or an Arrow column of distinct
    ones) of each id of `col`."""
    if _is_arrow(col):
        found = _arrow_index(col, ids)
        if found is not None:
            return found
        col = col.to_pylist()
    index = dict(zip(_as_list(ids), range(len(ids)), strict=True))
    try:
        return _lookup(col, index)
    except (KeyError, TypeError):
        for i, value in enumerate(col):
            if not isinstance(value, str) or value not in index:
                raise _fail(locate, i, name, f"no person with id {_short(value)}") from None
        raise


def _refs_at_once(certs: Any, cases: Any, ids: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The persons of certificates and of cases (Arrow columns) looked up in one pass: the
    table of a million ids is built once, not twice. None when one is not found (or the
    columns are not Arrow's): _refs then names the record."""
    if not (_is_arrow(certs) and _is_arrow(cases) and _is_arrow(ids)):
        return None
    chunks = [*pa.chunked_array(certs).chunks, *pa.chunked_array(cases).chunks]
    # Arrow looks up on one thread: the chunks go in READERS runs to as many threads, each
    # with the table of ids (0.28 s instead of 0.52 for four million cases on two cores).
    ends = np.cumsum([len(chunk) for chunk in chunks])
    cut = np.searchsorted(ends, np.arange(1, READERS) * (ends[-1] if len(ends) else 0) / READERS)
    runs = [pa.chunked_array(chunks[a:b], pa.string())
            for a, b in zip([0, *cut.tolist()], [*cut.tolist(), len(chunks)], strict=True)]
    with ThreadPoolExecutor(READERS, thread_name_prefix="lookup") as pool:
        answers = list(pool.map(lambda run: _arrow_index(run, ids), runs))
    if any(found is None for found in answers):
        return None
    found = np.concatenate(answers)
    return found[:len(certs)], found[len(certs):]


def _years(values: Sequence[Any], locate: Locate, *, from_json: bool) -> list[int | None]:
    """Birth years: whole numbers in BIRTH_YEARS, or absent. JSON gives a number (not
    1962.7, not true), CSV the digits (not 1990.5): both take the same years."""
    if _is_arrow(values):
        fast = _arrow_years(values)
        if fast is not None:
            return fast
        values = values.to_pylist()
    out: list[int | None] = []
    for i, value in enumerate(values):
        if value is None or value == "":
            out.append(None)
            continue
        if from_json:
            year = value if type(value) is int else None
        else:
            text = value.strip() if isinstance(value, str) else ""
            year = int(text) if text.isascii() and text.lstrip("-").isdigit() \
                and len(text) <= 5 else None
        if year is None or year not in BIRTH_YEARS:
            raise _fail(locate, i, "birth_year", f"expected a year from {BIRTH_YEARS[0]} to "
                        f"{BIRTH_YEARS[-1]}, got {_short(value)}")
        out.append(year)
    return out


def _arrow_years(col: Any) -> list[int | None] | None:
    """Birth years of an Arrow text column when every value is four digits in BIRTH_YEARS
    or empty (what the Python code takes the same way); None sends it through that code."""
    if col.null_count:
        return None
    empty = pc.equal(col, "")
    if not pc.all(pc.or_(empty, pc.match_substring_regex(col, r"^[0-9]{4}$"))).as_py():
        return None
    years = np.asarray(pc.if_else(empty, "0", col).cast(pa.int64()).to_numpy(), dtype=np.int64)
    given = ~np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    if not ((years[given] >= BIRTH_YEARS[0]) & (years[given] <= BIRTH_YEARS[-1])).all():
        return None
    out: list[int | None] = years.tolist()
    for i in np.flatnonzero(~given).tolist():
        out[i] = None
    return out


def _column(table: dict[str, Any], name: str, n: int) -> Any:
    """A column of a table, or n nulls when the table does not have it."""
    column = table.get(name)
    return [None] * n if column is None else column


def _build(source: str, *, persons: tuple[dict, Locate], certs: tuple[dict, Locate],
           cases: tuple[dict, Locate], from_json: bool, year: int | None = None
           ) -> SettlementInput:
    """Check every record and convert the columns; with `year`, keep the cases of that year
    only (their ids are the one per-case column that becomes Python objects)."""
    (p, p_at), (c, c_at), (k, k_at) = persons, certs, cases
    person_ids, _ = _ids(p["id"], p_at, "id", indexed=False)
    # the persons' ids as Arrow's reader gave them (checked distinct): what references are
    # looked up in, without a dict of every id
    person_index = p["id"] if _is_arrow(p["id"]) else person_ids
    n_persons = len(person_ids)
    birth_year = _years(_column(p, "birth_year", n_persons), p_at, from_json=from_json)
    cert_from, cert_to = _days(c["valid_from"], c_at, "valid_from"), _days(c["valid_to"], c_at,
                                                                        "valid_to")
    if (cert_from > cert_to).any():
        raise _fail(c_at, int(np.argmax(cert_from > cert_to)), "valid_to",
                    "valid_to is before valid_from")
    n_cases = len(k["id"])
    if _is_arrow(k["id"]) and _arrow_ids_ok(k["id"]):
        case_ids = None  # taken below, for the cases kept
    else:
        case_ids, _ = _ids(k["id"], k_at, "id", indexed=False)
    total = _money(k["total_cost"], k_at, "total_cost", from_json=from_json)
    scope = _money(k["policy_scope_cost"], k_at, "policy_scope_cost", from_json=from_json)
    if (scope > total).any():
        raise _fail(k_at, int(np.argmax(scope > total)), "policy_scope_cost",
                    "policy_scope_cost is more than total_cost")
    paid_bmi = _money(_column(k, "paid_basic_medical_insurance", n_cases), k_at,
                      "paid_basic_medical_insurance", optional=True, from_json=from_json)
    paid_cii = _money(_column(k, "paid_critical_illness_insurance", n_cases), k_at,
                      "paid_critical_illness_insurance", optional=True, from_json=from_json)
    paid_oma = _money(_column(k, "paid_other_medical_aid", n_cases), k_at,
                      "paid_other_medical_aid", optional=True, from_json=from_json)
    # Given payments above the bill are consistent data, not bad input: the very anomaly
    # reconciliation looks for (000 §4.2 超额救助). They are settled (the schemes after them
    # pay nothing) and the case is flagged when it is loaded (loaders.cases, given_over_bill).
    levels = _column(k, "facility_level", n_cases)
    if _is_arrow(levels) and not pc.any(pc.equal(levels, "")).as_py():
        case_level = _codes(levels, FACILITY_LEVELS, k_at, "facility_level")
    else:  # some case gives none: NO_LEVEL there (settlement.check_required decides)
        levels = list(_as_list(levels))
        given_level = np.fromiter((v not in (None, "") for v in levels), dtype=bool,
                                  count=n_cases)
        case_level = np.full(n_cases, NO_LEVEL, dtype=np.int64)
        rows = np.flatnonzero(given_level)
        if len(rows):
            case_level[rows] = _codes([levels[i] for i in rows.tolist()], FACILITY_LEVELS,
                                      lambda i, name: k_at(int(rows[i]), name), "facility_level")
    # checked in the order of the fields of SettlementInput, so that of two bad values the
    # same one is named whatever is kept
    household_ids = _texts(_column(p, "household_id", n_persons), p_at, "household_id",
                           required=False)
    enrolled = _bools(p["enrolled"], p_at, "enrolled")
    both = _refs_at_once(c["person_id"], k["person_id"], person_index)
    cert_person = both[0] if both else _refs(c["person_id"], person_index, c_at, "person_id")
    cert_category = _codes(c["category"], known_categories(), c_at, "category")
    cert_illness = _bools(c["due_to_illness"], c_at, "due_to_illness", default=False)
    case_person = both[1] if both else _refs(k["person_id"], person_index, k_at, "person_id")
    case_day = _days(k["date"], k_at, "date")
    kept = {"case_person": case_person, "case_day": case_day,
            "case_setting": _codes(k["setting"], SETTINGS, k_at, "setting"),
            "case_level": case_level, "total_fen": total, "scope_fen": scope,
            "referred": _bools(k["referred"], k_at, "referred"),
            "paid_bmi_fen": paid_bmi, "paid_cii_fen": paid_cii, "paid_oma_fen": paid_oma}
    huiminbao = _bools(_column(p, "huiminbao", n_persons), p_at, "huiminbao", default=False)
    district = _districts(_column(p, "district", n_persons), p_at)
    case_row = None
    if year is not None:
        case_row = np.flatnonzero(years_of(case_day) == year)
        kept = {name: column[case_row] for name, column in kept.items()}
    if case_ids is None:
        case_ids = (k["id"] if case_row is None else k["id"].take(case_row)).to_pylist()
    elif case_row is not None:
        case_ids = [case_ids[i] for i in case_row.tolist()]
    return SettlementInput(
        source=source, person_ids=person_ids, household_ids=household_ids, enrolled=enrolled,
        birth_year=birth_year, cert_person=cert_person, cert_category=cert_category,
        cert_from=cert_from, cert_to=cert_to, cert_illness=cert_illness, case_ids=case_ids,
        **kept, huiminbao=huiminbao, csv=not from_json, case_row=case_row, district=district)


def _districts(col: Any, locate: Locate) -> list[str | None] | None:
    """The district code of each person (text, as given), or None when nobody has one."""
    texts = _texts(col, locate, "district", required=False)
    return None if all(t in (None, "") for t in texts) else [t or None for t in texts]


# -- back to records ---------------------------------------------------------------------------

def _iso(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days.astype("datetime64[D]")).tolist()


def as_records(inp: SettlementInput) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Persons (each with its certificates) and cases as dicts of the JSON format, amounts
    in yuan; what `medgraph load cases` writes to the graph."""
    categories = known_categories()
    held: list[list[dict[str, Any]]] = [[] for _ in inp.person_ids]
    for person, category, start, end, illness in zip(
            inp.cert_person.tolist(), inp.cert_category.tolist(), _iso(inp.cert_from),
            _iso(inp.cert_to), inp.cert_illness.tolist(), strict=True):
        held[person].append({"category": categories[category], "valid_from": start,
                             "valid_to": end, "due_to_illness": illness})
    persons = [{"id": pid, "household_id": hid, "enrolled": enrolled, "birth_year": year,
                "huiminbao": hmb, "certificates": certs}
               for pid, hid, enrolled, year, hmb, certs in zip(
                   inp.person_ids, inp.household_ids, inp.enrolled.tolist(), inp.birth_year,
                   inp.huiminbao.tolist(), held, strict=True)]
    if inp.district is not None:
        for person, district in zip(persons, inp.district, strict=True):
            if district:
                person["district"] = district
    cases = []
    for cid, person, date, setting, level, total, scope, referred, bmi, cii, oma in zip(
            inp.case_ids, inp.case_person.tolist(), _iso(inp.case_day),
            inp.case_setting.tolist(), inp.case_level.tolist(), inp.total_fen.tolist(),
            inp.scope_fen.tolist(), inp.referred.tolist(), inp.paid_bmi_fen.tolist(),
            inp.paid_cii_fen.tolist(), inp.paid_oma_fen.tolist(), strict=True):
        record: dict[str, Any] = {
            "id": cid, "person_id": inp.person_ids[person], "date": date,
            "setting": SETTINGS[setting], "total_cost": total / 100,
            "policy_scope_cost": scope / 100, "referred": referred,
            "facility_level": None if level == NO_LEVEL else FACILITY_LEVELS[level]}
        paid = {code: fen / 100 for code, fen in zip(PAID, (bmi, cii, oma), strict=True)
                if fen != NOT_GIVEN}
        if paid:
            record["paid"] = paid
        cases.append(record)
    return persons, cases
