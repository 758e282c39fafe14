"""The options ``run`` shares with ``chaos run``: ``--var``, ``--var-file``, ``--settings``.

Read as ``chaos run`` reads them (chaoslib's ``convert_vars``, ``merge_vars`` and
``load_settings``: ``key[:type]=value`` configuration values, JSON/YAML files with
``configuration``/``secrets`` keys or ``.env`` files injected into the environment, the settings
file at Chaos Toolkit's default path), but bad input is a located error and exit 2 before
anything starts, where ``chaos run`` would log and carry on. chaoslib is imported only when a
run is actually started, so ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdevops_chaos.errors import UsageError

# Chaos Toolkit's default settings path (chaoslib.settings.CHAOSTOOLKIT_CONFIG_PATH), written out
# so that the option's help does not import chaoslib
DEFAULT_SETTINGS = "~/.chaostoolkit/settings.yaml"


def ctk_settings(
    settings_path: str, variables: list[str], var_files: list[Path]
) -> Any:  # engine.ctk.CtkSettings
    """The settings file's content and the variables, as ``engine.ctk.CtkSettings``."""
    import yaml
    from chaoslib import convert_vars, merge_vars

    from cdevops_chaos.engine.ctk import CtkSettings

    settings = _settings(Path(settings_path).expanduser(), settings_path != DEFAULT_SETTINGS)
    try:
        converted = convert_vars(list(variables))
    except ValueError as err:
        raise UsageError(f"--var: {err} (write it as name=value or name:int=value)") from err
    for var_file in var_files:
        if not var_file.is_file():
            raise UsageError(f"--var-file {var_file}: no such file")
        if var_file.suffix in (".json", ".yaml", ".yml"):
            try:
                data = yaml.safe_load(var_file.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as err:
                raise UsageError(f"--var-file {var_file}: not valid JSON/YAML: {err}") from err
            if data is not None and not isinstance(data, dict):
                raise UsageError(
                    f"--var-file {var_file}: expected a mapping with `configuration` and/or "
                    "`secrets` keys"
                )
    config_vars, secret_vars = merge_vars(converted, [str(f) for f in var_files])
    return CtkSettings(settings, dict(config_vars), dict(secret_vars))


def _settings(path: Path, explicit: bool) -> dict[str, Any]:
    import yaml

    if not path.exists():
        if explicit:
            raise UsageError(f"--settings {path}: no such file")
        return {}
    if not path.is_file():
        raise UsageError(f"--settings {path}: not a regular file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UsageError(f"--settings {path}: not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--settings {path}: expected a mapping at the top")
    runtime = data.get("runtime")
    rollbacks = runtime.get("rollbacks") if isinstance(runtime, dict) else None
    strategy = rollbacks.get("strategy") if isinstance(rollbacks, dict) else None
    if strategy is not None and strategy not in ("always", "default", "never", "deviated"):
        raise UsageError(
            f"--settings {path}: runtime.rollbacks.strategy {strategy!r} is not one of "
            "always, default, never, deviated"
        )
    return data
