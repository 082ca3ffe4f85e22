"""One module per command, each with ``run(namespace) -> int``."""
