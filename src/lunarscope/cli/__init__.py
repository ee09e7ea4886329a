"""The ``lunarscope`` command line: one subcommand per job."""
