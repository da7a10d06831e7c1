"""``python -m graders check``: a replay either shows the failure again or says it did not."""

from __future__ import annotations

import re


def test_a_replay_reproduces_the_failure_it_came_from(graders) -> None:
    first = graders("check", "data_race", "--path", "exercises/data_race",
                    "--only", "no_lost_updates")
    assert first.returncode == 1
    token = re.search(r"--replay (\S+)", first.stdout).group(1)
    again = graders("check", "data_race", "--path", "exercises/data_race",
                    "--only", "no_lost_updates", "--replay", token)
    assert again.returncode == 1 and "FAIL no_lost_updates" in again.stdout
    assert "Lost update" in again.stdout

    fixed = graders("check", "data_race", "--path", "solutions/data_race",
                    "--only", "no_lost_updates", "--replay", token)
    assert fixed.returncode == 1, fixed.stdout          # not a PASS: nothing was shown
    assert "NOT REPRODUCED no_lost_updates" in fixed.stdout
    assert "did not fail here" in fixed.stdout
