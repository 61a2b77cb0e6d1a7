"""Every setting the code reads and every CLI command is documented in the README."""

import re
from pathlib import Path

from escala.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_environment_setting_is_in_the_readme():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "escala").rglob("*.py"))
    settings = set(re.findall(r"""environ\.get\(["'](ESCALA_\w+)""", code))
    assert settings >= {"ESCALA_DB", "ESCALA_TZ"}
    assert [name for name in sorted(settings) if f"`{name}`" not in README] == []


def test_every_cli_command_is_in_the_readme():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert [name for name in commands if f"python -m escala {name}" not in README] == []
