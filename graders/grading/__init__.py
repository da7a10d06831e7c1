"""Instructor grading: ``python -m graders grade SUBMISSIONS_DIR``.

Modules, parent side (the grader process):

``submissions``   find each student's files in a folder or a .zip, safely; hash them
``scan``          the integrity scan: code that reaches beyond the exercise, by file and line
``sandbox``       grade one submission in a fresh child process; read its signed verdicts
``whole_class``   the class: parallel jobs, resume, sealed atomic result files, events
``seal``          the instructor's key and the MAC on stored results
``model``         the one result model every output format renders
``formats``       grades.csv (nbgrader), the wide sheet, Gradescope, GitHub Classroom,
                  PrairieLearn, JUnit XML, feedback in Markdown and HTML
``progress``      the progress bar and the summary table

Child side (the grading process, started by ``sandbox``; it never imports the parent side):

``bootstrap``              the entry script (``python -S -P -s -B``)
``isolation``              the operating system's walls: namespaces, a private view, uids
``supervisor``             the supervisor and its one-worker-per-check loop
``guard``                  the audit hook: process cap, what submitted code may not touch
``integrity``              snapshots of threading, time, queue, random, builtins and the kit
``limits``                 the resource limits (``resource.setrlimit``)
``channel``                the signed result line (shared with the parent)

Process trees (find, freeze, kill, reap) come from :mod:`graders.childproc.proctable`.
Nothing is imported here, so the child loads only what it uses.
"""
