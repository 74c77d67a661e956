from pathlib import Path

import pytest
import yaml

from muni_core.municipalities import GENERIC_ID, MunicipalityConfigError, MunicipalityRegistry, parse_municipality
from muni_core.paths import REPO_ROOT

FOLDER = REPO_ROOT / "content" / "municipalities"
VALID = yaml.safe_load((FOLDER / "frederikshavn.yml").read_text(encoding="utf-8"))


def test_examples_load_and_at_least_two_municipalities() -> None:
    registry = MunicipalityRegistry(FOLDER)
    assert len(registry.ids) >= 2
    assert {"frederikshavn", "aarhus"} <= set(registry.ids)


@pytest.mark.parametrize("candidate", ["atlantis", "", None, 42, ["aarhus"], {"id": "aarhus"}, GENERIC_ID, "../etc"])
def test_unknown_municipality_resolves_to_generic(candidate: object) -> None:
    registry = MunicipalityRegistry(FOLDER)
    assert registry.resolve(candidate).is_generic


def test_lookup_is_case_insensitive_and_first_known_wins() -> None:
    registry = MunicipalityRegistry(FOLDER)
    assert registry.resolve(" Aarhus ").id == "aarhus"
    assert registry.resolve("atlantis", "frederikshavn", "aarhus").id == "frederikshavn"


def test_dialled_number_selects_municipality() -> None:
    registry = MunicipalityRegistry(FOLDER)
    assert registry.by_dialled_number("+45 98 45 50 00").id == "frederikshavn"
    assert registry.by_dialled_number("+4511111111") is None


def _broken(**changes: object) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        target = raw
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return raw


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": None}, "'phone' mangler"),
        ({"id": "Frederiks havn"}, "må kun have"),
        ({"offices": {"jobcenter": VALID["offices"]["jobcenter"]}}, "mindst have 'borgerservice'"),
        ({"offices__borgerservice__opening_hours__monday": "10-15"}, "ikke på formen"),
        ({"offices__borgerservice__opening_hours__monday": "15:00-10:00"}, "lukketid skal ligge efter"),
        ({"offices__borgerservice__opening_hours__monday": "25:00-26:00"}, "ikke et gyldigt klokkeslæt"),
        ({"offices__borgerservice__opening_hours__mandag": "10:00-15:00"}, "ukendt ugedag"),
        ({"offices__bibliotek": {"name": "x", "address": "y"}}, "ukendt kontor"),
        ({"closed_days": ["2026-02-31"]}, "ikke en dato"),
    ],
)
def test_malformed_config_gives_clear_error(changes: dict, message: str) -> None:
    with pytest.raises(MunicipalityConfigError, match=message):
        parse_municipality(_broken(**changes), "test.yml")


def test_file_name_must_match_id(tmp_path: Path) -> None:
    for name in ("_generic.yml", "frederikshavn.yml"):
        (tmp_path / name).write_text((FOLDER / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "skagen.yml").write_text((FOLDER / "aarhus.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(MunicipalityConfigError, match="svare til filnavnet"):
        MunicipalityRegistry(tmp_path)


def test_generic_profile_is_required(tmp_path: Path) -> None:
    (tmp_path / "aarhus.yml").write_text((FOLDER / "aarhus.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(MunicipalityConfigError, match=r"_generic\.yml mangler"):
        MunicipalityRegistry(tmp_path)


def test_broken_profile_stops_the_action_server_at_start(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    shutil.copytree(REPO_ROOT / "content", tmp_path / "content")
    profile = tmp_path / "content" / "municipalities" / "aarhus.yml"
    profile.write_text(profile.read_text(encoding="utf-8").replace('"10:00-15:00"', '"10-15"'), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "import actions"],
        cwd=REPO_ROOT,
        env={"MUNI_CONTENT_DIR": str(tmp_path / "content"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "aarhus.yml: offices.borgerservice.friday: '10-15' er ikke på formen 10:00-15:00" in result.stderr
