"""The ``habmodel`` command: one module per group of commands.

==================  ===================================================================
:mod:`.common`      what every command shares: option groups, unit parsing, errors
:mod:`.command`     the parser, ``simulate``, ``params`` and ``figures``
:mod:`.experiments` ``sweep``, ``dose-response`` and ``validate``
:mod:`.cache`       ``cache --info`` and ``--clear``
:mod:`.lab`         ``lab --out DIR``: write the browser lab (a static folder)
:mod:`.app`         ``app``: serve the browser lab and open it
==================  ===================================================================
"""

from .command import main

__all__ = ["main"]
