"""Size of the deployment zip `make package` builds (built now unless a fresh one is in build/)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
# Lambda refuses a directly uploaded zip over 50 MB.
LIMIT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class PackageSize:
    """The zip's size, its unpacked size, and its largest top-level entries."""

    zipped_bytes: int
    unpacked_bytes: int
    largest: list[tuple[str, int]]
    rebuilt: bool


def _sources() -> list[Path]:
    from deploy.package import PROJECT_FILES

    found = []
    for name in PROJECT_FILES:
        path = ROOT / name
        found += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return found


def deployment_zip() -> tuple[Path, bool]:
    """`build/deployment.zip`, rebuilt with deploy/package.py when missing or older than a source."""
    from deploy.package import package

    zip_path = BUILD / "deployment.zip"
    fresh = zip_path.exists() and zip_path.stat().st_mtime >= max(p.stat().st_mtime for p in _sources())
    if not fresh:
        package("dev", BUILD)
    return zip_path, not fresh


def measure() -> PackageSize:
    """Measure the zip."""
    zip_path, rebuilt = deployment_zip()
    with zipfile.ZipFile(zip_path) as archive:
        by_top: dict[str, int] = {}
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            by_top[top] = by_top.get(top, 0) + info.compress_size
        unpacked = sum(i.file_size for i in archive.infolist())
    largest = sorted(by_top.items(), key=lambda kv: -kv[1])[:4]
    return PackageSize(zip_path.stat().st_size, unpacked, largest, rebuilt)


def main() -> None:
    """Print the size."""
    size = measure()
    print(
        f"deployment.zip {size.zipped_bytes / 1024:,.0f} KiB ({size.unpacked_bytes / 1024:,.0f} KiB unpacked)"
    )


if __name__ == "__main__":
    main()
