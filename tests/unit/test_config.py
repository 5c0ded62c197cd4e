"""Config loading: defaults, env overrides, and plain-words errors with YAML line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardeye.config import load_config, parse_config
from wardeye.config.loader import InvalidConfig
from wardeye.config.models import Config
from wardeye.core.errors import ConfigError

GOOD = """\
site_name: "Công an phường Bến Nghé"
data_dir: /srv/wardeye
server:
  host: 0.0.0.0
  port: 8443
recording:
  segment_seconds: 6
  retention:
    max_age_days: 14
    keep_free_gb: 5
areas:
  - name: Thành phố Hồ Chí Minh
    level: province
    children:
      - name: Quận 1
        level: district
        children:
          - {name: Phường Bến Nghé, level: commune}
"""


def test_good_config_parses_with_vietnamese_names() -> None:
    cfg = parse_config(GOOD, env={})
    assert cfg.server.port == 8443
    assert cfg.recording.segment_seconds == 6
    assert cfg.areas[0].children[0].children[0].name == "Phường Bến Nghé"
    assert cfg.resolved_database_url() == "sqlite:////srv/wardeye/catalog.sqlite3"


def test_empty_file_gives_defaults() -> None:
    cfg = parse_config("", env={})
    assert cfg == Config()
    assert cfg.server.host == "127.0.0.1"


def test_every_problem_is_reported_with_its_line() -> None:
    text = "data_dir: ./v\nserver:\n  port: 99999\n  hots: x\nrecording:\n  segment_seconds: abc\n"
    with pytest.raises(InvalidConfig) as info:
        parse_config(text, "site.yaml", env={})
    problems = {(p.line, p.path) for p in info.value.problems}
    assert problems == {(3, "server.port"), (4, "server.hots"), (6, "recording.segment_seconds")}
    message = str(info.value)
    assert "site.yaml has 3 problem(s)" in message
    assert "line 4: server.hots: unknown setting" in message


def test_nested_list_errors_point_at_the_right_line() -> None:
    text = "areas:\n  - name: A\n    level: province\n  - name: B\n    level: hamlet\n"
    with pytest.raises(InvalidConfig) as info:
        parse_config(text, env={})
    [problem] = info.value.problems
    assert problem.line == 5
    assert problem.path == "areas.1.level"


def test_broken_yaml_is_a_config_error_with_a_line() -> None:
    with pytest.raises(InvalidConfig) as info:
        parse_config("server:\n  port: [1,\n", env={})
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in str(info.value)


def test_unknown_timezone_is_explained() -> None:
    with pytest.raises(InvalidConfig, match="unknown time zone"):
        parse_config("timezone: Mars/Olympus\n", env={})


def test_environment_overrides_secrets_and_database_url() -> None:
    env = {
        "WARDEYE_DATABASE_URL": "postgresql+psycopg://u@db/wardeye",
        "WARDEYE_SECRET_KEY": "s3cret-from-env",
    }
    cfg = parse_config("database_url: sqlite:///x.db\nsecret_key: in-file\n", env=env)
    assert cfg.resolved_database_url() == "postgresql+psycopg://u@db/wardeye"
    assert cfg.secret_key is not None
    assert cfg.secret_key.get_secret_value() == "s3cret-from-env"
    assert "s3cret" not in repr(cfg)


def test_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", env={})


def test_every_field_is_described() -> None:
    from pydantic import BaseModel

    from wardeye.config import models

    classes = [
        obj
        for obj in vars(models).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == models.__name__
    ]
    assert Config in classes
    for cls in classes:
        for name, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{name} has no description"


def test_configuration_reference_is_up_to_date() -> None:
    from wardeye.config.reference import document

    doc = Path(__file__).parents[2] / "docs" / "configuration.md"
    assert doc.read_text(encoding="utf-8") == document(), (
        "regenerate: python -m wardeye.config.reference > docs/configuration.md"
    )
