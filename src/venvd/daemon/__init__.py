"""The optional daemon: watches trusted projects' inputs and syncs them in the background."""
