"""The one message every integration gives when its library is missing."""

from __future__ import annotations

from typing import Optional


def missing_library(class_name: str, pip_package: str, cause: Optional[BaseException]) -> ImportError:
    """An ``ImportError`` for ``class_name``, whose library could not be
    imported (``cause``), that says which pip package to install."""
    reason = f" ({cause})" if cause is not None else ""
    return ImportError(
        f"{class_name} needs the '{pip_package}' package, which could not be imported{reason}; "
        f"install it with `pip install {pip_package}`"
    )
