"""``dev.py`` installs OR-Tools without the requirements it declares (numpy, pandas, protobuf,
absl-py, immutabledict): the platform must then work without any of them.

The check runs in a fresh interpreter where importing any of those packages fails, whatever
this environment holds (a test environment may have them for other reasons), and drives the
what-if's optimal fill through OR-Tools' solver.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dev

ROOT = Path(__file__).resolve().parents[2]
#: What OR-Tools 9.x declares that the knapsack solver does not load.
UNUSED = ("numpy", "pandas", "google", "absl", "immutabledict")

PROBE = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder
    from uuid import UUID

    class Refuse(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {unused!r}:
                raise ImportError(f"{{name}} is not installed by dev.py")

    sys.meta_path.insert(0, Refuse())
    from projections.selection import GREEDY, OPTIMAL, OpenFile, select

    def file(n, raw, amount):
        return OpenFile(application_id=UUID(int=n), title=str(n), province="zagora",
                        requested_centimes=amount, raw_score=raw, normalised_score=raw)

    files = [file(1, 9000, 60), file(2, 8000, 50), file(3, 8000, 50)]
    print([f.application_id.int for f in select(GREEDY, files, 100).funded],
          [f.application_id.int for f in select(OPTIMAL, files, 100).funded])
    """
).format(unused=UNUSED)


def test_the_optimal_fill_needs_none_of_what_ortools_declares_besides() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # Greedy takes the best file and stops; the exact knapsack finds the better pair.
    assert done.stdout.split("\n")[0] == "[1] [2, 3]"


def test_the_probe_does_refuse_those_packages() -> None:
    """The refusal is real: a module that needs numpy fails under it."""
    probe = PROBE.split("from projections.selection")[0] + "import numpy\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode != 0
    assert "numpy is not installed by dev.py" in done.stderr


def test_dev_installs_only_ortools_without_its_requirements() -> None:
    bare, rest = dev.requirements(["test"])
    assert [r.split(">")[0] for r in bare] == ["ortools"]
    names = {r.split(">")[0].split("[")[0].split(";")[0].split("=")[0].strip() for r in rest}
    assert {"litestar", "asyncpg", "weasyprint", "pytest"} <= names
    assert "ortools" not in names
    # The runtime list alone has no test tool in it.
    assert "pytest" not in {r.split(">")[0] for r in dev.requirements()[1]}


def test_the_server_starts_without_what_dev_py_installs_in_the_background() -> None:
    """``dev.py serve`` starts the server before weasyprint and ortools are installed: nothing
    on the way to the first page may import them (letters and the what-if do, when used)."""
    refused = (*UNUSED, *dev.LATER)
    probe = PROBE.split("from projections.selection")[0].replace(repr(UNUSED), repr(refused))
    probe += "import web.cli.main, web.app\nprint('started')\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started"


def test_the_optimal_fill_before_ortools_is_installed_is_a_503_to_retry_not_a_500() -> None:
    """In the seconds ``dev.py serve`` installs OR-Tools behind the first page, the what-if's
    optimal fill raises ``Unavailable`` (503 with Retry-After), which clients already retry."""
    probe = PROBE.replace(repr(UNUSED), repr((*UNUSED, "ortools"))).split("print(")[0]
    probe += textwrap.dedent(
        """
        from service.errors import Unavailable
        try:
            select(OPTIMAL, files, 100)
        except Unavailable as error:
            print("unavailable", error.retry_after)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unavailable 10"


def test_dev_py_bench_finds_the_tests_helpers_from_any_folder(tmp_path: Path) -> None:
    """``python3 dev.py bench all`` failed with "No module named 'tests'": bench/ imports the
    tests' helpers, which the installed package leaves out."""
    probe = [sys.executable, "-c", "import bench.all"]
    bare = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "No module named 'tests'" in bare.stderr  # what the installed package alone gives
    env = {"PATH": "/usr/bin:/bin", **dev.bench_environment()}
    done = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
