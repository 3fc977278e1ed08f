"""Sphinx configuration of habmodel's API reference (built from the docstrings).

Build: ``python -m sphinx -W -b html docs/api docs/_build/api`` (``make docs``).
"""

from importlib.metadata import version as _version

project = "habmodel"
author = "the habmodel developers"
release = _version("habmodel")
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings say the types, with their units
add_module_names = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"habmodel {release} API"
