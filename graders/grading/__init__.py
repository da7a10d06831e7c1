"""Instructor grading: ``python -m graders grade SUBMISSIONS_DIR``.

Modules, parent side (the grader process):

``submissions``   find each student's files in a folder or a .zip, safely; hash them
``scan``          the integrity scan: code that reaches beyond the exercise, by file and line
``sandbox``       grade one submission in a fresh child process; read its signed verdicts
``runner``        the class: parallel jobs, resume, atomic result files, progress events
``model``         the one result model every output format renders
``formats``       grades.csv (nbgrader), the wide sheet, Gradescope, GitHub Classroom,
                  PrairieLearn, JUnit XML, feedback in Markdown and HTML
``progress``      the progress bar and the summary table

Child side (the grading process, started by ``sandbox``; it never imports the parent side):

``bootstrap``, ``child``   the entry script; the supervisor and its one-worker-per-check loop
``guard``                  the audit hook: process cap, what submitted code may not touch
``integrity``              snapshots of threading, time, queue, random, builtins and the kit
``limits``                 the resource limits (``resource.setrlimit``)
``procs``                  process trees from /proc: find, freeze, kill, reap
``channel``                the signed result line (shared with the parent)

Nothing is imported here, so the child loads only what it uses.
"""
