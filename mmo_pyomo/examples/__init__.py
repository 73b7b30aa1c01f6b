"""Example instances shipped with the package (so ``mmo solve`` works from any directory)."""
from __future__ import annotations

from pathlib import Path

#: The 40-activity example: 8 channels × 5 regions, 3 group rules (see ``generator.example_instance``).
EXAMPLE_DAT: Path = Path(__file__).resolve().with_name("example.dat")

__all__ = ["EXAMPLE_DAT"]
