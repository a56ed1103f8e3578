"""The schedule watchdog in the template: bundled cron library, asset size."""

from __future__ import annotations

import io
import zipfile


def _asset(stack):
    [asset] = [p for p in stack.outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists()]
    return asset


def test_asset_bundles_croniter_without_its_tests_and_stays_under_1_mb(default_stack):
    asset = _asset(default_stack)
    assert (asset / "croniter" / "croniter.py").exists()
    assert not (asset / "croniter" / "tests").exists()
    assert (asset / "stop_recorder" / "watchdog" / "expressions.py").exists()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset).as_posix())
    assert len(buffer.getvalue()) < 1_000_000
