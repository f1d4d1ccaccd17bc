"""The synthetic city: deterministic, shares as documented, every hard case present, readable."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from medgraph import settlement
from medgraph.analysis.kpi import HIGH_COST_LINE
from medgraph.cli import main
from medgraph.loaders import synth

# The project's glossary lives beside the clone (../shared/GLOSSARY.md), not in it.
GLOSSARY = Path(__file__).resolve().parent.parent.parent / "shared" / "GLOSSARY.md"


def _write(tmp: Path, persons: int, seed: int, *extra: str) -> Path:
    out = tmp / f"city-{persons}-{seed}-{'-'.join(extra)}"
    done = CliRunner().invoke(main, ["synth", "--persons", str(persons), "--seed", str(seed),
                                     "-o", str(out), *extra])
    assert done.exit_code == 0, done.output
    return out


def _rows(city: Path, name: str) -> list[dict[str, str]]:
    with (city / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """A city of 40,000 persons, read back from its CSV files as a user would."""
    folder = _write(tmp_path_factory.mktemp("synth"), 40_000, 11)
    return {name: _rows(folder, f"{name}.csv") for name in ("persons", "certificates", "cases")}


def test_same_seed_same_bytes_other_seed_other_city(tmp_path: Path) -> None:
    first, again = _write(tmp_path / "a", 3000, 5), _write(tmp_path / "b", 3000, 5)
    assert _digest(first) == _digest(again)
    assert _digest(_write(tmp_path / "c", 3000, 6))["cases.csv"] != _digest(first)["cases.csv"]
    json_a = _write(tmp_path / "d", 500, 5, "--format", "json")
    json_b = _write(tmp_path / "e", 500, 5, "--format", "json")
    assert _digest(json_a) == _digest(json_b) and list(_digest(json_a)) == ["city.json"]


@pytest.mark.skipif(not GLOSSARY.exists(), reason=f"the glossary is not beside the clone "
                    f"({GLOSSARY})")
def test_category_codes_are_the_glossarys(city: dict[str, list[dict[str, str]]]) -> None:
    glossary = GLOSSARY.read_text("utf-8")
    for code in {c["category"] for c in city["certificates"]}:
        assert f"`{code}`" in glossary, code


def test_columns_ids_codes_and_amounts(city: dict[str, list[dict[str, str]]]) -> None:
    assert list(city["persons"][0]) == list(synth.PERSON_COLUMNS)
    assert list(city["certificates"][0]) == list(synth.CERTIFICATE_COLUMNS)
    assert list(city["cases"][0]) == list(synth.CASE_COLUMNS)
    # Ids carry the seed (11), so that two cities never share one.
    assert all(re.fullmatch(r"s11-P\d{6,}", p["id"])
               and re.fullmatch(r"s11-H\d{6,}", p["household_id"]) for p in city["persons"])
    money = re.compile(r"\d+(\.\d{1,2})?")
    for case in city["cases"]:
        assert re.fullmatch(r"s11-C\d{6,}", case["id"])
        assert case["setting"] in synth.SETTINGS and case["facility_level"] in synth.LEVELS
        assert money.fullmatch(case["total_cost"]) and money.fullmatch(case["policy_scope_cost"])
        assert 0 < float(case["policy_scope_cost"]) <= float(case["total_cost"])
        assert case["paid_basic_medical_insurance"] == case["paid_critical_illness_insurance"] == ""
        assert "2023-01-01" <= case["date"] <= "2025-12-31"
    assert len({c["id"] for c in city["cases"]}) == len(city["cases"])
    for cert in city["certificates"]:
        assert cert["valid_from"] < cert["valid_to"]


def test_population_and_category_shares_as_documented(
        city: dict[str, list[dict[str, str]]]) -> None:
    persons = city["persons"]
    n = len(persons)
    sizes = Counter(Counter(p["household_id"] for p in persons).values())
    mean_size = sum(k * v for k, v in sizes.items()) / sum(sizes.values())
    expected_size = sum((k + 1) * s for k, s in enumerate(synth.HOUSEHOLD_SIZE_SHARES))
    assert abs(mean_size - expected_size) < 0.1
    ages = [2023 - int(p["birth_year"]) for p in persons]
    assert abs(sum(a >= 60 for a in ages) / n - synth.AGE_BANDS[2][2]) < 0.03

    holders = defaultdict(set)
    for cert in city["certificates"]:
        holders[cert["category"]].add(cert["person_id"])
    assisted = set().union(*holders.values())
    assert abs(len(assisted) / n - synth.CITY_ASSISTED_SHARE) < 0.3 * synth.CITY_ASSISTED_SHARE
    assert synth.CITY_ASSISTED_SHARE < synth.NATIONAL_ASSISTED_SHARE
    for code, share in synth.CATEGORY_SPLIT.items():
        got = len(holders[code]) / (synth.CITY_ASSISTED_SHARE * n)
        assert abs(got - share) < max(0.35 * share, 0.01), (code, got, share)
    # Household certificates: every member of the household holds it.
    household_of = {p["id"]: p["household_id"] for p in persons}
    members = defaultdict(set)
    for p in persons:
        members[p["household_id"]].add(p["id"])
    for pid in holders["minimum_living"]:
        assert members[household_of[pid]] <= holders["minimum_living"]
    not_enrolled = sum(p["enrolled"] == "false" for p in persons) / n
    assert abs(not_enrolled - synth.NOT_ENROLLED_SHARE) < 0.01


def test_costs_by_setting(city: dict[str, list[dict[str, str]]]) -> None:
    by_setting: dict[str, list[float]] = defaultdict(list)
    for case in city["cases"]:
        by_setting[case["setting"]].append(float(case["total_cost"]))
    counts = {k: len(v) for k, v in by_setting.items()}
    assert counts["outpatient_general"] > counts["outpatient_chronic"] > counts["inpatient"]

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    for setting, (expected, _) in synth.COST_LOGNORMAL.items():
        assert 0.8 * expected < median(by_setting[setting]) < 1.25 * expected, setting
    inpatient = sorted(by_setting["inpatient"])
    # A heavy tail: the costliest 1 % of admissions cost far more than the median one.
    assert inpatient[int(0.99 * len(inpatient))] > 10 * median(inpatient)
    assert inpatient[-1] <= synth.SEVERE_MAX
    per_person = len(city["cases"]) / len(city["persons"]) / 3
    assert 0.8 < per_person < 2.5  # settled cases per person and year


def test_every_hard_case_is_present(tmp_path: Path) -> None:
    folder = _write(tmp_path, 1500, 2)
    persons = {p["id"]: p for p in _rows(folder, "persons.csv")}
    certs = _rows(folder, "certificates.csv")
    cases = _rows(folder, "cases.csv")
    cases_of = defaultdict(list)
    for case in cases:
        cases_of[case["person_id"]].append(case)

    expired_with_later_care = [c for c in certs if c["valid_to"] < "2025-12-31" and any(
        k["date"] > c["valid_to"] for k in cases_of[c["person_id"]])]
    assert expired_with_later_care
    assert any(c["referred"] == "false" and c["facility_level"] in synth.REFERRAL_LEVELS
               for c in cases)
    holders = {c["person_id"] for c in certs}
    assert any(persons[p]["enrolled"] == "false" and cases_of[p] for p in holders)
    assert any(c["due_to_illness"] == "true" and c["valid_from"] >= "2023-01-01" for c in certs)

    household_year_cost: Counter[tuple[str, str]] = Counter()
    admitted = defaultdict(set)
    for case in cases:
        household = persons[case["person_id"]]["household_id"]
        household_year_cost[(household, case["date"][:4])] += float(case["total_cost"])
        if case["setting"] == "inpatient":
            admitted[(household, case["date"][:4])].add(case["person_id"])
    households_with_category = {persons[p]["household_id"] for p in holders}
    # Just above the line: no certificate in the household, yet a high-cost year.
    assert any(cost >= HIGH_COST_LINE and household not in households_with_category
               for (household, _), cost in household_year_cost.items())
    assert any(len(members) >= 2 for members in admitted.values())


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["synth", "--persons", "10", "--seed", "1", "--years",
                                     "2025-2023", "-o", str(tmp_path)])
    assert done.exit_code == 2 and "years" in done.output


@pytest.mark.skipif(not hasattr(settlement, "read_input"), reason="no settlement reader yet")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_readable_by_the_settlement_reader(tmp_path: Path, fmt: str) -> None:
    folder = _write(tmp_path, 800, 4, "--format", fmt)
    path = folder if fmt == "csv" else folder / "city.json"
    persons, cases = settlement.as_records(settlement.read_input(path))
    assert len(persons) == 800
    assert len(cases) == len(synth.generate_city(800, 4).case_person)


def test_docstring_examples() -> None:
    import doctest

    failed, tried = doctest.testmod(synth)
    assert tried and not failed


def test_ids_carry_the_seed_or_the_prefix(tmp_path: Path) -> None:
    """Two cities never share an id unless a prefix says so (loaded side by side, the demo's
    C000001 and another city's once made cases with two patients)."""
    one, two = _write(tmp_path, 100, 1), _write(tmp_path, 100, 2)
    def ids(city: Path) -> set[str]:
        return {r["id"] for name in ("cases.csv", "persons.csv") for r in _rows(city, name)}

    assert ids(one) and not ids(one) & ids(two)
    named = _write(tmp_path, 100, 1, "--prefix", "north-")
    assert all(r["id"].startswith("north-P") and r["household_id"].startswith("north-H")
               for r in _rows(named, "persons.csv"))
