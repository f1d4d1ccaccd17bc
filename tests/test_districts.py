"""Districts: Hangzhou's list (assumptions, with their shares), drawn by synth, read from the
input, and the what-if results broken down by them."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from test_whatif import CITY, compare

from medgraph import settlement
from medgraph.loaders import synth
from medgraph.loaders.districts import districts, districts_file
from medgraph.loaders.errors import InputError


def test_the_list_is_hangzhous_districts_and_counties_with_shares() -> None:
    found = districts("hangzhou")
    assert len(found) == 13  # 10 districts, 2 counties, 1 county-level city (2021 division)
    assert Counter(d.level for d in found) == {"district": 10, "county": 3}
    assert {"xihu", "xiaoshan", "chunan", "jiande"} <= {d.code for d in found}
    assert sum(d.share for d in found) == pytest.approx(1.0)
    assert len({d.tile for d in found}) == 13  # one tile each on the map
    text = districts_file("hangzhou").read_text("utf-8")
    assert "assumption" in text and "各区、县（市）政府" in text  # says where the list is from


def test_a_bad_district_list_names_its_line_and_field(tmp_path: Path) -> None:
    model = tmp_path / "city"
    (model / "districts").mkdir(parents=True)
    (model / "model.yaml").write_text("entities: []\n", "utf-8")
    (model / "districts" / "districts.yaml").write_text(
        "districts:\n"
        "  - {code: a, name_zh: 甲区, name_en: A, level: district, population: 10, tile: [0, 0]}\n"
        "  - {code: b, name_zh: 乙区, name_en: B, level: borough, population: 10, tile: [0, 1]}\n",
        "utf-8")
    with pytest.raises(InputError) as caught:
        districts(model)
    assert (caught.value.line, caught.value.field) == (3, "level")


def test_synth_draws_households_over_the_districts_by_their_shares(tmp_path: Path) -> None:
    synth.write_city(tmp_path / "c", persons=40000, seed=3)
    with (tmp_path / "c" / "persons.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_household = {r["household_id"]: r["district"] for r in rows}
    assert len({r["district"] for r in rows if r["household_id"] == rows[0]["household_id"]}) == 1
    got = Counter(by_household.values())
    for d in districts("hangzhou"):
        assert got[d.code] / len(by_household) == pytest.approx(d.share, abs=0.015), d.code
    # read back: each person's district, and through as_records what the graph is given
    inp = settlement.read_input(tmp_path / "c")
    assert inp.district[:3] == [r["district"] for r in rows[:3]]
    persons, _cases = settlement.as_records(inp)
    assert persons[0]["district"] == rows[0]["district"]


def test_whatif_by_district() -> None:
    # P1 (低边) in Xihu gains 2,000 from the rate rise (tests/test_whatif.py); P2, P3 in
    # Binjiang gain nothing; P5 has no district given.
    city = {"persons": [dict(p) for p in CITY["persons"]], "cases": CITY["cases"]}
    for person, district in zip(city["persons"], ["xihu", "binjiang", "binjiang", None],
                                strict=True):
        if district:
            person["district"] = district
    doc = compare("name: r\nchanges:\n  - rule: hangzhou.rule.ma_rate_marginal_low_income\n"
                  "    set: {rate: 0.9}\n", city=city)
    base, reform = doc["scenarios"]
    assert [d["district"] for d in base["by_district"]] == ["xihu", "binjiang"]
    xihu, binjiang = reform["change"]["by_district"]
    assert (xihu["winners"], xihu["losers"], xihu["out_of_pocket"]) == (1, 0, -2000.0)
    assert (binjiang["winners"], binjiang["out_of_pocket"]) == (0, 0.0)
    assert reform["by_district"][0]["paid"] - base["by_district"][0]["paid"] == 2000.0
    # Binjiang: P2 and P3, out of pocket 12,000 + 30,000
    assert base["by_district"][1]["out_of_pocket"] == 42000.0
    assert base["by_district"][1]["persons_at_or_above_line"] == 1  # P3, 30,000
