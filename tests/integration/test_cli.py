"""The `wardeye` command line against a real catalog in a temporary data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wardeye.cli import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    config = tmp_path / "wardeye.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    monkeypatch.setenv("WARDEYE_CONFIG", str(config))
    monkeypatch.delenv("WARDEYE_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=input)
        return result.exit_code, result.output

    return invoke


def _areas(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("area", "add", "Tỉnh Bình Dương", "--level", "province")[0] == 0
    assert (
        cli("area", "add", "Thành phố Thủ Dầu Một", "--level", "district", "--parent", "1")[0] == 0
    )
    code, out = cli("area", "add", "Phường Phú Cường", "--level", "commune", "--parent", "2")
    assert code == 0, out
    assert "Tỉnh Bình Dương › Thành phố Thủ Dầu Một › Phường Phú Cường" in out


def test_camera_add_list_disable_remove(cli) -> None:  # type: ignore[no-untyped-def]
    _areas(cli)
    code, out = cli(
        "camera", "add", "Cổng chợ Thủ Dầu Một", "--url", "rtsp://op:pa55word@10.1.2.3/ch1",
        "--area", "3", "--lat", "10.98", "--lon", "106.65",
    )  # fmt: skip
    assert code == 0, out
    assert "pa55word" not in out
    code, out = cli("camera", "list", "--json")
    assert code == 0
    [camera] = json.loads(out)
    assert camera["name"] == "Cổng chợ Thủ Dầu Một"
    assert camera["main_url"] == "rtsp://***@10.1.2.3/ch1"
    assert "pa55word" not in out
    assert cli("camera", "disable", "Cổng chợ Thủ Dầu Một")[0] == 0
    code, out = cli("camera", "remove", "Cổng chợ Thủ Dầu Một")
    assert code == 0, out
    assert "Cổng chợ" not in cli("camera", "list", "--json")[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--url", "rtsp//bad", "--area", "3"], "must start with one of"),
        (["--url", "rtsp://cam/1", "--area", "77"], "unknown area id 77"),
        (["--url", "rtsp://cam/1", "--area", "3", "--lat", "123", "--lon", "1"], "latitude"),
    ],
)
def test_camera_add_rejects_bad_input(cli, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    _areas(cli)
    code, out = cli("camera", "add", "X", *args)
    assert code == 1
    assert needle in out


def test_duplicate_name_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    _areas(cli)
    assert cli("camera", "add", "A", "--url", "rtsp://c/1", "--area", "3")[0] == 0
    code, out = cli("camera", "add", "A", "--url", "rtsp://c/2", "--area", "3")
    assert code == 1
    assert "already exists" in out


def test_csv_import_reports_each_bad_row_and_imports_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _areas(cli)
    path = "Tỉnh Bình Dương/Thành phố Thủ Dầu Một/Phường Phú Cường"
    rows = [
        "name,area,main_url,sub_url,latitude,longitude",
        f"Ngã ba Lò Chén,{path},rtsp://10.0.0.1/main,rtsp://10.0.0.1/sub,10.98,106.65",
        f"Trường Tiểu học Phú Cường,{path},rtsp://10.0.0.2/main,,,",
        f"Lỗi URL,{path},htp://10.0.0.3,,,",
        "Lỗi khu vực,Tỉnh Không Có,rtsp://10.0.0.4/main,,,",
    ]
    csv_file = tmp_path / "cameras.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = cli("camera", "import", str(csv_file))
    assert code == 1
    assert "Nothing was imported" in out
    assert "Lỗi URL" in out and "Lỗi khu vực" in out
    assert "Ngã ba Lò Chén" not in cli("camera", "list", "--json")[1]

    csv_file.write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    assert cli("camera", "import", str(csv_file), "--dry-run")[0] == 0
    assert "Ngã ba Lò Chén" not in cli("camera", "list", "--json")[1]
    code, out = cli("camera", "import", str(csv_file))
    assert code == 0, out
    assert "imported 2 cameras" in out
    listing = cli("camera", "list", "--json")[1]
    assert "Ngã ba Lò Chén" in listing and "Trường Tiểu học Phú Cường" in listing


def test_user_add(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("user", "add", "canbo1", "--role", "officer", "--password", "mật-khẩu-dài")
    assert code == 0, out
    code, out = cli("user", "add", "canbo2", "--role", "mayor", "--password", "long-enough")
    assert code == 1
    assert "unknown role" in out
    code, out = cli("user", "add", "canbo3", "--role", "officer", "--password", "short")
    assert code == 1
    assert "password" in out


def test_check_config_reports_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("server:\n  port: -1\nrecordng: {}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert "line 2: server.port" in result.output
    assert "line 3: recordng: unknown setting" in result.output
    good = tmp_path / "good.yaml"
    good.write_text(f"data_dir: {tmp_path}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check-config", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_installed_entry_point_runs_migrate(tmp_path: Path) -> None:
    """The real console script, in a fresh process, migrates an empty catalog."""
    env = {**os.environ, "WARDEYE_DATA_DIR": str(tmp_path / "d")}
    env.pop("WARDEYE_CONFIG", None)
    wardeye = Path(sys.executable).with_name("wardeye")
    result = subprocess.run(
        [str(wardeye), "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "is at revision" in result.stdout
    assert (tmp_path / "d" / "catalog.sqlite3").exists()
