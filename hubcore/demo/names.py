"""Fictional place and organisation names for the synthetic demo (no real place is meant)."""

from __future__ import annotations

import numpy as np

_STARTS = (
    "Ash",
    "Bram",
    "Cal",
    "Dun",
    "East",
    "Fern",
    "Glen",
    "Hollin",
    "Ivy",
    "Kel",
    "Lark",
    "Mar",
    "Nor",
    "Oak",
    "Pen",
    "Quarry",
    "Rook",
    "Sel",
    "Thorn",
    "Ulver",
    "Vale",
    "Wester",
    "Yar",
    "Brack",
    "Cinder",
    "Drift",
    "Elder",
    "Fox",
    "Gorse",
    "Heron",
    "Kings",
    "Lynd",
    "Moss",
    "Nettle",
    "Otter",
    "Pike",
    "Red",
    "Sand",
    "Tarn",
    "Wil",
)
_ENDS = (
    "mere",
    "ford",
    "by",
    "ton",
    "ley",
    "wick",
    "field",
    "bridge",
    "holme",
    "dale",
    "stead",
    "worth",
    "combe",
    "well",
    "brook",
    "gate",
    "haven",
    "thorpe",
    "borough",
    "moor",
)
SECTORS = (
    ("Manufacturing", 0.12),
    ("Construction", 0.09),
    ("Wholesale and retail", 0.12),
    ("Transport and logistics", 0.06),
    ("Hospitality", 0.07),
    ("Information and communication", 0.08),
    ("Financial and insurance", 0.06),
    ("Professional, scientific and technical", 0.11),
    ("Public administration", 0.05),
    ("Education", 0.05),
    ("Health and social care", 0.12),
    ("Arts and recreation", 0.04),
    ("Energy and utilities", 0.03),
)
_SECTOR_NOUNS = {
    "Manufacturing": ("Engineering", "Components", "Foods", "Precision"),
    "Construction": ("Builders", "Construction", "Civils", "Homes"),
    "Wholesale and retail": ("Retail", "Stores", "Traders", "Supplies"),
    "Transport and logistics": ("Logistics", "Haulage", "Freight", "Buses"),
    "Hospitality": ("Hotels", "Kitchens", "Leisure", "Catering"),
    "Information and communication": ("Digital", "Software", "Media", "Networks"),
    "Financial and insurance": ("Building Society", "Insurance", "Finance", "Credit Union"),
    "Professional, scientific and technical": ("Consulting", "Labs", "Architects", "Accountants"),
    "Public administration": ("Council Services", "Fire and Rescue", "Police", "Courts"),
    "Education": ("Learning Trust", "Training", "Academy Trust", "Tutors"),
    "Health and social care": ("Health", "Care Homes", "Pharmacy", "Dental"),
    "Arts and recreation": ("Theatre", "Sports Club", "Museum", "Studios"),
    "Energy and utilities": ("Energy", "Water", "Solar", "Power"),
}
_SUFFIXES = ("Ltd", "Ltd", "Ltd", "plc", "LLP", "Group", "CIC")


def place_names(rng: np.random.Generator, n: int, unique: bool = True) -> list[str]:
    """``n`` fictional place names such as "Hollinmere" (distinct while the pool lasts)."""
    pool = [s + e for s in _STARTS for e in _ENDS]
    if unique and n <= len(pool):
        return [pool[i] for i in rng.permutation(len(pool))[:n]]
    return [pool[i] for i in rng.integers(0, len(pool), n)]


def employer_name(rng: np.random.Generator, place: str, sector: str) -> str:
    """A fictional employer name for ``sector`` in ``place``."""
    nouns = _SECTOR_NOUNS[sector]
    return f"{place} {nouns[rng.integers(len(nouns))]} {_SUFFIXES[rng.integers(len(_SUFFIXES))]}"
