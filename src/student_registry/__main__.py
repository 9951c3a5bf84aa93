"""`python -m student_registry`: the same command line."""

from student_registry.cli import main

main()
