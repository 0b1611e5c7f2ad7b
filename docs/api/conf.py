# Sphinx configuration of delivsim's API reference (make docs; warnings are errors there).
# The reference is built from the installed package's docstrings: run it with the venv's python.
import delivsim

project = "delivsim"
author = "The delivsim developers"
copyright = "The delivsim developers, BSD-3-Clause"
version = release = delivsim.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
# pandas, numpy and matplotlib types in signatures are not documented here.
autodoc_type_aliases = {}
nitpicky = False
html_theme = "alabaster"
html_static_path: list = []
exclude_patterns = ["_build"]
