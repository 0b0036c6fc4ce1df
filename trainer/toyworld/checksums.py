"""``SHA256SUMS`` for a model directory, in ``sha256sum`` format so ``sha256sum -c`` checks it too.

CI never rebuilds the committed ToyWorld model; it checks that the files are the ones built.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["SUMS_FILE", "ChecksumError", "verify_checksums", "write_checksums"]

SUMS_FILE = "SHA256SUMS"


class ChecksumError(Exception):
    pass


def _files(model: Path) -> list[Path]:
    return sorted(
        p
        for p in model.rglob("*")
        if p.is_file()
        and p.name != SUMS_FILE
        and not p.relative_to(model).as_posix().startswith(".")
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(model: str | Path) -> Path:
    model = Path(model)
    lines = [f"{_digest(p)}  {p.relative_to(model).as_posix()}" for p in _files(model)]
    out = model / SUMS_FILE
    out.write_text("\n".join(lines) + "\n")
    return out


def verify_checksums(model: str | Path) -> int:
    """The number of files checked; raises naming every file that is missing, extra or changed."""
    model = Path(model)
    sums = model / SUMS_FILE
    if not sums.is_file():
        raise ChecksumError(f"{sums}: missing; the build writes it")
    expected = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        expected[name] = digest
    actual = {p.relative_to(model).as_posix(): p for p in _files(model)}
    problems = [f"missing: {n}" for n in sorted(expected.keys() - actual.keys())]
    problems += [f"not listed: {n}" for n in sorted(actual.keys() - expected.keys())]
    problems += [
        f"changed: {n}"
        for n in sorted(expected.keys() & actual.keys())
        if _digest(actual[n]) != expected[n]
    ]
    if problems:
        raise ChecksumError(f"{model}: " + "; ".join(problems))
    return len(expected)
