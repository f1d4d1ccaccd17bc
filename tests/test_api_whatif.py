"""`POST /api/v1/whatif` over HTTP: analysts only, the JSON of `medgraph whatif` for the
same cases and reforms, bad reforms refused as 422 naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_api import Api, api, is_error  # noqa: F401  (api: the server fixture)
from test_whatif import CITY

from medgraph.loaders.model import data_dir

CAP = {"name": "cap 200,000", "changes": [
    {"rule": "hangzhou.rule.ma_annual_cap", "set": {"annual_cap": 200000}}]}


def test_whatif_is_for_analysts_and_answers_as_the_cli(api: Api, tmp_path: Path) -> None:  # noqa: F811
    body = {**CITY, "reforms": ["marginal_80", CAP]}
    is_error(api.post("/whatif", json=body), 403, "forbidden")
    response = api.post("/whatif", role="analyst", json=body)
    assert response.status_code == 200, response.text
    got = response.json()
    city = tmp_path / "city.json"
    city.write_text(json.dumps(CITY), "utf-8")
    cap = tmp_path / "cap.yaml"
    cap.write_text(json.dumps(CAP), "utf-8")  # JSON is YAML
    shipped = data_dir() / "hangzhou" / "reforms" / "marginal_80.yaml"
    done = subprocess.run([sys.executable, "-m", "medgraph", "whatif", str(shipped), str(cap),
                           "--city", str(city), "--format", "json"], capture_output=True,
                          text=True, timeout=120, env=api.env)
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    for scenario in cli["scenarios"] + got["scenarios"]:
        scenario.pop("file")  # where the reform was read from differs
    assert got == cli
    # the hand-worked cap of tests/test_whatif.py: 50,000 more assistance on C3
    assert got["scenarios"][2]["change"]["cost"]["medical_assistance"] == 50000.0


def test_whatif_goal_seek_and_refusals(api: Api) -> None:  # noqa: F811
    goal = api.post("/whatif", role="analyst", json={
        **CITY, "goal": "personal_burden_rate<=0.15",
        "free": "hangzhou.rule.ma_rate_minimum_living.rate"})
    assert goal.status_code == 200, goal.text
    found = goal.json()["goal"]
    assert found["value"] is not None and found["measured"] <= 0.15 < found["next_measured"]
    bad = api.post("/whatif", role="analyst", json={**CITY, "reforms": [
        {"name": "x", "changes": [{"rule": "hangzhou.rule.nothing", "set": {"rate": 1}}]}]})
    assert "no BenefitRule" in is_error(bad, 422)["message"]
    unknown = api.post("/whatif", role="analyst", json={**CITY, "reforms": ["../rules"]})
    assert "no reform shipped" in is_error(unknown, 422)["message"]
    is_error(api.post("/whatif", role="analyst", json={**CITY}), 422)


def test_hostile_reforms_are_refused_at_once(api: Api) -> None:  # noqa: F811
    """A short YAML text whose nested aliases make billions of items, and numbers that are
    not finite: each is refused with its line and field, and nothing hangs or breaks."""
    levels = ['&a ["x","x","x","x","x","x","x","x","x"]']
    for name, before in zip("bcdefghi", "abcdefgh", strict=True):
        levels.append(f"&{name} [" + ",".join(["*" + before] * 9) + "]")
    bomb = ("name: x\nchanges:\n  - rule: hangzhou.rule.ma_annual_cap\n"
            f"    set: {{annual_cap: [{', '.join(levels)}]}}\n")
    for text, wanted in ((bomb, "reforms[0]:4: *a: a reform may not use YAML aliases"),
                         (bomb.replace(f"[{', '.join(levels)}]", ".nan"),
                          "annual_cap must be a finite number"),
                         (bomb.replace(f"[{', '.join(levels)}]", "-.inf"),
                          "annual_cap must be a finite number")):
        answer = api.post("/whatif", role="analyst", json={**CITY, "reforms": [{"yaml": text}]})
        assert wanted in is_error(answer, 422)["message"], answer.text
