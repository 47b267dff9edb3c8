"""Build hook only (metadata lives in setup.cfg): ship dictionary/, rules/ and lineage/ inside the package.

A non-editable install has no checkout beside it, so the default governance content is copied into
`mdm/_content/` of the built package, where `mdm.governance.default_content_dir()` finds it.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONTENT = ("dictionary", "rules", "lineage")


class BuildWithContent(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "mdm" / "_content"
        for part in CONTENT:
            if Path(part).is_dir():
                shutil.copytree(part, target / part, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithContent})
