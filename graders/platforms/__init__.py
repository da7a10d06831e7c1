"""Meeting courses where they live: nbgrader, Gradescope, GitHub Classroom, PrairieLearn.

One small module per platform, all on top of :mod:`graders.platforms.one_submission`, which
grades one student's files for one or more topics in the grading sandbox:

``one_submission``  find a topic's files in a submission, grade them, one result per check
                    (:class:`~graders.platforms.one_submission.CheckResult`)
``notebook``        ``check(...)``, the one call an nbgrader grade cell makes
``nbgrader_course`` ``python -m graders nbgrader export``: the course folder and notebooks
``nbgrader_hooks``  the preprocessor that gives students the starter code (imports nbgrader)
``gradescope``      the autograder zip and its ``run_autograder``; results.json
``classroom``       the student repositories' workflow and the Classroom result output
``prairielearn``    an externally graded question and its results.json
``course_ci``       the instructor repository's workflow: the dev check on 3.11-3.13

None of these modules imports nbgrader, nbformat or PyYAML at import time except
``nbgrader_hooks`` (loaded by nbgrader itself) and ``nbgrader_course`` (nbformat).
"""
