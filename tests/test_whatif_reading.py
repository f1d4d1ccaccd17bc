"""Reading one year of a CSV city for `medgraph whatif --year`: the same cases as reading
everything and keeping the year, every record still checked, errors naming the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from medgraph import settlement
from medgraph.analysis import whatif
from medgraph.cli import main
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import data_dir
from medgraph.loaders.synth import write_city
from medgraph.settlement.inputs import cases_of_year
from medgraph.settlement.reforms import read_reform

REFORM = data_dir() / "hangzhou" / "reforms" / "marginal_80.yaml"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reading") / "city"
    write_city(folder, persons=600, seed=3)
    return folder


def _copy(city: Path, to: Path) -> Path:
    to.mkdir()
    for name in ("persons.csv", "certificates.csv", "cases.csv"):
        (to / name).write_bytes((city / name).read_bytes())
    return to


def _lines(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines(keepends=True)


def _whatif(*args: str) -> Any:
    return CliRunner().invoke(main, ["whatif", str(REFORM), *args])


def test_one_year_read_equals_the_year_kept_from_everything(city: Path) -> None:
    whole = settlement.read_input(city)
    one = settlement.read_input(city, year=2024)
    kept = cases_of_year(whole, 2024)
    assert 0 < len(one) < len(whole)
    for name, value in vars(kept).items():
        mine = getattr(one, name)
        if isinstance(value, np.ndarray):
            assert np.array_equal(mine, value), name
        else:
            assert mine == value, name
    docs = [whatif.public(whatif.run("hangzhou", [read_reform(REFORM)], inp, year=2024))
            for inp in (whole, one)]
    assert json.dumps(docs[0], sort_keys=True) == json.dumps(docs[1], sort_keys=True)


def test_an_error_about_a_kept_case_names_its_line_in_the_file(city: Path) -> None:
    one = settlement.read_input(city, year=2025)
    lines = _lines(city / "cases.csv")
    for i in (0, len(one) - 1):
        error = one.case_error(i, "facility_level", "checked")
        assert isinstance(error, InputError)
        text = str(error)
        line = int(text.split("cases.csv:")[1].split(":")[0])
        assert lines[line - 1].startswith(one.case_ids[i] + ",")


def test_a_bad_case_of_another_year_is_still_refused(city: Path, tmp_path: Path) -> None:
    folder = _copy(city, tmp_path / "city")
    lines = _lines(folder / "cases.csv")
    row = next(k for k, line in enumerate(lines) if k and line.split(",")[2].startswith("2023"))
    fields = lines[row].split(",")
    fields[4] = "-5"  # total_cost
    lines[row] = ",".join(fields)
    (folder / "cases.csv").write_text("".join(lines), "utf-8")
    done = _whatif("--city", str(folder), "--year", "2025", "--format", "json")
    assert done.exit_code == 2
    assert f"cases.csv:{row + 1}" in done.output and "total_cost" in done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize(("file", "column", "value", "refused"), [
    ("cases.csv", 0, "copy of the row above", "duplicate id"),
    ("cases.csv", 0, "x" * 201, "at most 200"),
    ("persons.csv", 3, "1990.5", "birth_year"),
    ("persons.csv", 3, " 1990 ", None),  # read as 1990 (the checks row by row take it)
])
def test_values_the_column_checks_leave_to_the_row_checks(city: Path, tmp_path: Path, file: str,
                                                           column: int, value: str,
                                                           refused: str | None) -> None:
    folder = _copy(city, tmp_path / "city")
    lines = _lines(folder / file)
    fields = lines[5].split(",")
    fields[column] = lines[4].split(",")[column] if value == "copy of the row above" else value
    lines[5] = ",".join(fields)
    (folder / file).write_text("".join(lines), "utf-8")
    if refused is None:
        inp = settlement.read_input(folder, year=2025)
        assert inp.birth_year[4] == 1990
        return
    with pytest.raises(InputError) as caught:
        settlement.read_input(folder, year=2025)
    assert f"{file}:6" in str(caught.value) and refused in str(caught.value)
