"""What the course's ``nbgrader_config.py`` loads into nbgrader (this module imports nbgrader).

:class:`StarterSolutions` replaces stock ``ClearSolutions`` in ``nbgrader generate_assignment``.
A code cell of our notebooks holds the reference solution, with every place where it differs
from the starter between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; its metadata
``graders.starter`` lists, region by region, the starter's lines for that place. Stock
nbgrader would put ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` there; this
preprocessor puts the starter's own lines back, so the released notebook holds exactly the
kit's starter (its TODOs and its bug), and an untouched notebook fails with the topic's bug
class, as ``pytest exercises/<topic>`` does. Cells without that metadata get the stock stub.

:func:`preprocessor_lists` returns nbgrader's own preprocessor lists with the two changes
the course needs (computed from the installed nbgrader, so a new release's list is kept).
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbgrader.converters import GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets import Bool

METADATA_KEY = "graders"


class StarterSolutions(ClearSolutions):
    """ClearSolutions that puts the starter's lines where the solution was."""

    def _replace_solution_region(self, cell: Any, language: str) -> bool:
        starter = cell.metadata.get(METADATA_KEY, {}).get("starter")
        if cell.cell_type != "code" or not isinstance(starter, list):
            return super()._replace_solution_region(cell, language)
        lines = cell.source.split("\n")
        new_lines: list[str] = []
        region = -1
        inside = False
        for line in lines:
            if self.begin_solution_delimeter in line:
                if inside:
                    raise RuntimeError("encountered nested begin solution statements")
                inside = True
                region += 1
                if region >= len(starter):
                    raise RuntimeError(f"solution region {region + 1} has no starter text in "
                                       f"the cell's metadata '{METADATA_KEY}.starter'")
                new_lines.extend(starter[region])
            elif self.end_solution_delimeter in line:
                inside = False
            elif not inside:
                new_lines.append(line)
        if inside:
            raise RuntimeError("no end solution statement found")
        cell.source = "\n".join(new_lines)
        del cell.metadata[METADATA_KEY]
        return region >= 0


class HiddenTestsOutOfFeedback(Preprocessor):
    """Removes hidden-test regions from the feedback copy of a graded notebook (the cell's
    output, which names the check and its points, stays)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type == "code":
            ClearHiddenTests(enforce_metadata=False)._remove_hidden_test_region(cell)
        return cell, resources


def _default(converter: type, name: str) -> list[Any]:
    return list(converter.class_traits()[name].default())


def preprocessor_lists() -> dict[str, list[Any]]:
    """nbgrader's preprocessor lists for generate_assignment and generate_feedback, with
    :class:`StarterSolutions` for ``ClearSolutions`` and with :class:`HiddenTestsOutOfFeedback`
    first in the feedback (so hidden checks show in feedback by their output only)."""
    assign = [StarterSolutions if p is ClearSolutions else p
              for p in _default(GenerateAssignment, "preprocessors")]
    feedback = [HiddenTestsOutOfFeedback, *_default(GenerateFeedback, "preprocessors")]
    return {"generate_assignment": assign, "generate_feedback": feedback}
