"""Make ``import optuna`` (and ``optuna.anything``) import ferrotune's module
of the same name, as a user who switched by changing one import has it, and
``import optuna_integration`` (``optuna_integration.anything``) import
``ferrotune.integration`` (and its module of the same name), as a user who
also changed that import (``import ferrotune.integration as
optuna_integration``) has it.

Loaded before a script by ``test_optuna_scripts.py``; the scripts themselves
are plain Optuna code."""

import importlib
import importlib.abc
import importlib.util
import sys


#: Each aliased package and the ferrotune package that stands in for it.
_ALIASES = {"optuna": "ferrotune", "optuna_integration": "ferrotune.integration"}


def _alias_of(fullname):
    for package, replacement in _ALIASES.items():
        if fullname == package or fullname.startswith(package + "."):
            return replacement + fullname[len(package) :]
    return None


class _OptunaIsFerrotune(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if _alias_of(fullname) is not None:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        # The ferrotune module itself: its own __name__ and __spec__ stay,
        # so tracebacks and pickles name ferrotune.
        return importlib.import_module(_alias_of(spec.name))

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _OptunaIsFerrotune())
