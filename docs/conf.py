# Sphinx configuration for the auth_awsiam user documentation:
#   sphinx-build docs docs/_build/html
project = "auth_awsiam"
author = "auth_awsiam authors"
root_doc = "index"
exclude_patterns = ["_build"]
highlight_language = "none"
