"""What a skill tells ``assistant status`` about itself, and the one network check skills share.

A skill declares ``SkillSpec.status``: a function of its settings section that returns a
``SkillStatus`` quickly (no model loading, no network): the artifacts it loads, a few facts
("library tracks": "340") and the online features its settings switch on, each with the URLs
it reaches. The core checks those URLs itself, all at once with a short timeout, so that a
skill cannot make the report wait and every skill's service is checked the same way.

``answers(url)`` is that check; skills use it too when an "auto" setting decides at start-up
whether a service is there (music streaming), so the report and the skill agree.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class OnlineFeature:
    """One thing a skill fetches from the network, as its settings have it."""

    name: str  # "live weather"
    setting: str  # how it is set: 'live = "auto"'
    on: bool  # the setting switches it on (true or "auto"); the network switch is the core's
    urls: tuple[str, ...] = ()  # what it reaches; each is checked for an answer


@dataclass(frozen=True)
class SkillStatus:
    """What ``SkillSpec.status`` returns: artifacts used, facts to show, online features."""

    artifacts: tuple[str, ...] = ()  # artifact folder names under models/artifacts
    facts: tuple[tuple[str, str], ...] = ()  # ("library tracks", "340"), shown as written
    online: tuple[OnlineFeature, ...] = ()


def answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> str:
    """ "" when ``url`` gives any HTTP answer within ``timeout`` seconds, else why it did not.

    Any status counts as an answer (Open-Meteo's forecast endpoint says 400 without a place):
    the question is whether the service is reachable, not whether this URL is a page.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "offline-assistant/0.1 (status)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310 (configured services)
            return ""
    except urllib.error.HTTPError:
        return ""
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return f"no answer within {timeout:g} s"
        return str(reason) or type(reason).__name__
