"""Run algorithms through qgis_process exactly as a user would, on a throw-away profile.

Facts of QGIS 3.22 on Debian this relies on:
- call /usr/bin/qgis_process.bin: Debian's /usr/bin/qgis_process wrapper adds
  --noversioncheck, which qgis_process 3.22 rejects;
- plugins are found through QGIS_PLUGINPATH and loaded only once enabled in the
  profile (``plugins enable mineland``);
- parameters go after ``--`` as NAME=value, a multiple-layer parameter by
  repeating its name, booleans as true/false, enums by index.
"""

import json
import os
import site
import subprocess
import tempfile

QGIS_PROCESS = "/usr/bin/qgis_process.bin"
PLUGINS_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # holds mineland/


class QgisProcess:
    """qgis_process.bin with MineLand enabled on a fresh profile."""

    def __init__(self, profile_dir=None, plugins_dir=PLUGINS_DIR):
        self.profile_dir = profile_dir or tempfile.mkdtemp(prefix="mineland-qgis-process-")
        self.env = dict(os.environ)
        # qgis_process's own Python does not see a venv: hand it the venv's site-packages.
        python_path = [plugins_dir] + site.getsitepackages() + [self.env.get("PYTHONPATH", "")]
        self.env.update(
            QT_QPA_PLATFORM="offscreen",
            QGIS_CUSTOM_CONFIG_PATH=self.profile_dir,
            QGIS_PLUGINPATH=plugins_dir,
            PYTHONPATH=os.pathsep.join(p for p in python_path if p),
        )
        self.call(["plugins", "enable", "mineland"])

    def call(self, args):
        """Run qgis_process.bin with ``args``; return the CompletedProcess (never raises)."""
        return subprocess.run([QGIS_PROCESS] + list(args), env=self.env, capture_output=True, text=True, timeout=600)

    def run(self, algorithm, **parameters):
        """Run one algorithm; return its results dict. Lists become repeated parameters.

        Raises RuntimeError with qgis_process's own output when the run fails.
        """
        args = ["--json", "run", algorithm, "--"]
        for name, value in parameters.items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                args.append(f"{name}={_text(item)}")
        done = self.call(args)
        if done.returncode != 0:
            raise RuntimeError(f"qgis_process {algorithm} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return json.loads(_json_part(done.stdout))["results"]


def _json_part(stdout):
    """The JSON document of qgis_process --json: from its first line opening an object (QGIS may print lines
    before it, e.g. "Open Sans font installation failed" where the font is missing)."""
    lines = stdout.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith("{")), 0)
    return "".join(lines[first:])


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
