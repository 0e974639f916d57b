#!/usr/bin/env python3
"""Entry point: ``python run_assistant.py chat`` (see ``--help``). The code lives in assistant/."""

import sys

from assistant.cli import main

if __name__ == "__main__":
    sys.exit(main())
