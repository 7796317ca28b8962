"""The holiday table now lives in ent/holidays.py; this name stays for
absences' callers, with no data of its own."""

from ent.holidays import BY_ZONE, NATIONAL, SPRING, WINTER, periods

__all__ = ["BY_ZONE", "NATIONAL", "SPRING", "WINTER", "periods"]
