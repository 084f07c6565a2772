"""One module per vendor export: the published document it follows, and how its fields become canonical columns.

Each module names the vendor's export documentation in its docstring; that document is the contract the module and
its tests are built from. :mod:`analysis.ingest._vendors.registry` dispatches on the detected format.
"""

from __future__ import annotations
