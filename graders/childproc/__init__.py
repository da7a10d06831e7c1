"""Running code in child processes: the launcher the checks use, the stdlib-only drivers it
starts as scripts, and the ``/proc`` table every part of the kit reads processes from.

* :mod:`.launch` starts a driver in its own session with a hard timeout and reads its
  results (used by the process topics' checks);
* :mod:`.process_driver` runs a student's multiprocessing code under chosen start methods;
* :mod:`.simulator_driver` runs a student's scheduling simulator beside the reference one;
* :mod:`.proctable` finds, freezes and kills processes (the grading sandbox, the drivers).

The drivers and the table use the standard library only: the drivers run as scripts
(``python -P``) in interpreters that must start quickly, and load the table by path.
"""
