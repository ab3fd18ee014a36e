"""The trained model bundles that ship with Digit Sheet Reader.

Installed, this folder is the package data ``digit_sheet_reader.shipped``;
see ``utils/models/shipped.py``, which finds it in a clone or an install.
"""
