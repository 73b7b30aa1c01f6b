#!/usr/bin/env python
"""`mmo page` as a script: `python scripts/page.py RESULT.json`."""
from _checkout import run

if __name__ == "__main__":
    run("page")
