"""`python -m mdm.cli` runs the `mdm` command."""

from . import main

main()
