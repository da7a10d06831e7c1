"""The environment tests give the programs they start: this process's, without the kit's own
settings (``GRADERS_*``, which a developer's shell or an outer test may have set and which
would change what a check does). The one place that says which variables those are."""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Prefixes of the variables a test never passes on (the kit's settings).
KIT_PREFIXES: tuple[str, ...] = ("GRADERS_",)


def without_kit_settings(env: Mapping[str, str] | None = None, *,
                         also: tuple[str, ...] = (), keep: tuple[str, ...] = ()
                         ) -> dict[str, str]:
    """``env`` (default: this process's) without ``GRADERS_*`` and the ``also`` prefixes;
    ``keep`` names variables to keep anyway (``GRADERS_RESULTS_KEY``, the tests' own key)."""
    source = os.environ if env is None else env
    drop = KIT_PREFIXES + also
    return {k: v for k, v in source.items() if k in keep or not k.startswith(drop)}
