"""tools/qgis_root.sh (make test-qgis340 / test-qgis344) refuses bad set-ups with a message and a non-zero exit,
before it builds or mounts anything. The script runs from a copy in tmp_path, so its roots would be there."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "qgis_root.sh"


@pytest.fixture
def script(tmp_path):
    (tmp_path / "tools").mkdir()
    copy = tmp_path / "tools" / "qgis_root.sh"
    shutil.copy2(SCRIPT, copy)
    return copy


def run(script, *args, env=None, user=None):
    command = [str(script), *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}, check=False
    )


def no_root_left(script):
    roots = script.parent.parent / ".build" / "roots"
    return not roots.exists() or not any(roots.iterdir())


@pytest.mark.root
def test_unknown_suite_is_refused_with_the_usage(script):
    done = run(script, "bookworm")
    assert done.returncode != 0 and "usage:" in done.stderr and "trixie" in done.stderr
    assert no_root_left(script)


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop it")
def test_not_root_is_refused():
    folder = Path(tempfile.mkdtemp(prefix="mineland-qgis-root-"))  # pytest's tmp_path is closed to others
    try:
        folder.chmod(0o755)
        (folder / "tools").mkdir(mode=0o755)
        shutil.copy2(SCRIPT, folder / "tools" / "qgis_root.sh")
        done = run(folder / "tools" / "qgis_root.sh", "trixie", user=65534)
        assert done.returncode != 0 and "must run as root" in done.stderr
        assert not (folder / ".build").exists()
    finally:
        shutil.rmtree(folder)


@pytest.mark.root
def test_no_debootstrap_is_refused(script):
    done = run(script, "trixie", env={"PATH": "/usr/bin:/bin"}) if os.geteuid() == 0 else None
    if done is None:
        pytest.skip("the root check comes first")
    if shutil.which("debootstrap", path="/usr/bin:/bin"):
        pytest.skip("debootstrap is on /usr/bin here")
    assert done.returncode != 0 and "debootstrap is not installed" in done.stderr
    assert no_root_left(script)


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("debootstrap") is None, reason="needs root and debootstrap")
def test_unreachable_mirror_is_refused_before_anything_is_built(script):
    done = run(script, "sid", env={"QGIS_ROOT_MIRROR": "http://127.0.0.1:9/debian"})
    assert done.returncode != 0 and "cannot reach the Debian mirror http://127.0.0.1:9/debian" in done.stderr
    assert "Traceback" not in done.stderr
    assert no_root_left(script)


def test_the_roots_install_the_same_test_tools_as_the_host():
    """requirements-test-newer.txt (the roots) names every package requirements-test.txt (the host) does."""
    import re

    def names(file_name):
        with open(SCRIPT.parents[1] / file_name, encoding="utf-8") as handle:
            return {
                re.split(r"[\[=<>]", line.strip())[0].lower()
                for line in handle
                if line.strip() and not line.startswith("#")
            }

    assert names("requirements-test.txt") == names("requirements-test-newer.txt")
