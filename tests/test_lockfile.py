"""The lock files match setup.cfg, and the check that says so (requirements/lockfile.py) fails
when setup.cfg's requirements change without `make lock`, and only then."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lockfile", ROOT / "requirements" / "lockfile.py")
lockfile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lockfile)


@pytest.fixture
def checkout(tmp_path):
    """A copy of setup.cfg and the locks, to change without touching the repository."""
    (tmp_path / "requirements").mkdir()
    shutil.copy(ROOT / "setup.cfg", tmp_path)
    for lock in lockfile.LOCKS:
        shutil.copy(ROOT / lock, tmp_path / lock)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_the_committed_locks_match_setup_cfg():
    assert lockfile.problems(ROOT) == []


def test_a_changed_app_requirement_makes_both_locks_stale(checkout):
    edit(checkout / "setup.cfg", "segno>=1.6", "segno>=1.7")
    assert [problem.split(" is stale")[0] for problem in lockfile.problems(checkout)] == [
        "requirements/app.txt",
        "requirements/test.txt",
    ]


def test_a_changed_test_requirement_makes_only_the_test_lock_stale(checkout):
    edit(checkout / "setup.cfg", "pytest>=8", "pytest>=9")
    problems = lockfile.problems(checkout)
    assert len(problems) == 1
    assert problems[0].startswith("requirements/test.txt is stale")


def test_a_changed_python_range_makes_the_locks_stale(checkout):
    edit(checkout / "setup.cfg", "python_requires = >=3.11", "python_requires = >=3.12")
    assert len(lockfile.problems(checkout)) == 2


def test_reordering_spacing_and_comments_change_nothing(checkout):
    edit(checkout / "setup.cfg", "    Flask>=3.1,<4\n", "")
    edit(
        checkout / "setup.cfg",
        "    defusedxml>=0.7\n",
        "    defusedxml >= 0.7\n    Flask>=3.1, <4  # web\n",
    )
    assert lockfile.problems(checkout) == []


def test_a_new_requirement_is_stale_and_unpinned_until_the_lock_is_made_again(checkout):
    edit(checkout / "setup.cfg", "    defusedxml>=0.7\n", "    defusedxml>=0.7\n    qrcode>=8\n")
    problems = lockfile.problems(checkout)
    assert "requirements/app.txt pins no version of qrcode" in problems
    lockfile.stamp(checkout)  # what `make lock` does after pip-compile, here without it
    assert lockfile.problems(checkout) == [
        "requirements/app.txt pins no version of qrcode",
        "requirements/test.txt pins no version of qrcode",
    ]


def test_a_lock_without_its_stamp_or_a_pin_fails(checkout):
    lock = checkout / "requirements" / "app.txt"
    lines = lock.read_text("utf-8").splitlines(True)
    kept = [line for line in lines if not line.startswith((lockfile.STAMP, "segno=="))]
    lock.write_text("".join(kept), "utf-8")
    assert lockfile.problems(checkout) == [
        "requirements/app.txt has no stamp of the setup.cfg it was made from",
        "requirements/app.txt pins no version of segno",
    ]


def test_stamping_again_keeps_one_stamp_below_the_header(checkout):
    lockfile.stamp(checkout)
    lockfile.stamp(checkout)
    lines = (checkout / "requirements" / "app.txt").read_text("utf-8").splitlines()
    assert [line for line in lines if line.startswith(lockfile.STAMP)] == [lines[6]]
    assert lines[4] == "#    make lock"
    assert not lines[8].startswith("#")
