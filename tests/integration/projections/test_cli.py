from __future__ import annotations

from typing import TYPE_CHECKING

from web.cli import main as cli

if TYPE_CHECKING:
    import pytest


def test_status_and_rebuild_commands(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:
    monkeypatch.setenv("GRANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("GRANTS_DATA_DIR", str(tmp_path))
    assert cli.main(["projections", "rebuild", "ledger"]) == 0
    assert "rebuilt from 0 events" in capsys.readouterr().err
    assert cli.main(["projections", "status"]) == 0
    assert "ledger" in capsys.readouterr().out
    assert cli.main(["projections", "rebuild", "nope"]) == 2
    assert cli.main(["projections", "rebuild", "ledger", "statistics"]) == 0
    assert "ledger statistics: rebuilt from 0 events" in capsys.readouterr().err
    assert cli.main(["projections", "rebuild", "all"]) == 0
    assert "all: rebuilt from 0 events" in capsys.readouterr().err
