"""``python -m glassnet``: the same as the ``glassnet`` command."""

from glassnet.cli import console

if __name__ == "__main__":  # not when imported, e.g. by pytest's doctest collection
    console()
