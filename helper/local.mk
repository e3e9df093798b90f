# helper/: the `berth` command.
