"""The concurrency kit's grading side: the schedule-exploring engine and, around it, the
per-topic checks, the pytest plugin and the command line (``python -m graders``)."""
