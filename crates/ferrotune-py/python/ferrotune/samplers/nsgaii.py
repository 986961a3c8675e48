"""NSGA-II's crossover and mutation operators, as Optuna's
``optuna.samplers.nsgaii`` names them: pass one to
``NSGAIISampler(crossover=...)`` or ``NSGAIISampler(mutation=...)`` (and
the same to ``NSGAIIISampler``).

Each is a description (the operator and its parameters), checked here as
Optuna checks them; the engine does the crossing, on every numeric
parameter's range scaled to [0, 1] (categorical parameters are inherited
from a parent)."""

from __future__ import annotations

import math

__all__ = [
    "BaseCrossover",
    "BaseMutation",
    "BLXAlphaCrossover",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]


def _probability(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"The value of `{name}` must be in the range [0.0, 1.0], got {value}.")
    return value


class BaseCrossover:
    """A crossover operator: its engine name and the options it sets."""

    #: The operator's name in the engine (the CLI's ``crossover = "..."``).
    name: str = ""
    #: Parents it crosses.
    n_parents: int = 2

    def _options(self) -> dict[str, float]:
        """The engine options this operator sets (only those given)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({args})"


class UniformCrossover(BaseCrossover):
    """Each parameter from either parent, the second with ``swapping_prob``."""

    name = "uniform"

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self.swapping_prob = _probability("swapping_prob", swapping_prob)

    def _options(self) -> dict[str, float]:
        return {"swapping_prob": self.swapping_prob}


class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover (Eshelman & Schaffer 1993): uniform on the parents'
    interval widened by ``alpha`` of its width on each side."""

    name = "blxalpha"

    def __init__(self, alpha: float = 0.5) -> None:
        self.alpha = float(alpha)

    def _options(self) -> dict[str, float]:
        return {"alpha": self.alpha}


class _SimulatedBinary(BaseCrossover):
    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5, use_child_gene_prob: float = 0.5) -> None:
        if eta is not None and eta < 0.0:
            raise ValueError("The value of `eta` must be greater than or equal to 0.0.")
        self.eta = eta
        self.uniform_crossover_prob = _probability("uniform_crossover_prob", uniform_crossover_prob)
        self.use_child_gene_prob = _probability("use_child_gene_prob", use_child_gene_prob)

    def _options(self) -> dict[str, float]:
        options = {"uniform_crossover_prob": self.uniform_crossover_prob, "use_child_gene_prob": self.use_child_gene_prob}
        if self.eta is not None:
            options["eta"] = float(self.eta)
        return options


class SBXCrossover(_SimulatedBinary):
    """Simulated binary crossover (Deb & Agrawal 1995); ``eta`` defaults to
    20 with several objectives and 2 with one, as Optuna's."""

    name = "sbx"


class VSBXCrossover(_SimulatedBinary):
    """Modified simulated binary crossover (vSBX, Deb et al.'s variant that
    reaches the whole range)."""

    name = "vsbx"


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono et al. 2003), three
    parents; ``sigma_eta`` defaults to 0.35 / sqrt(number of parameters)."""

    name = "undx"
    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        self.sigma_xi = float(sigma_xi)
        self.sigma_eta = sigma_eta

    def _options(self) -> dict[str, float]:
        options = {"sigma_xi": self.sigma_xi}
        if self.sigma_eta is not None:
            options["sigma_eta"] = float(self.sigma_eta)
        return options


class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui et al. 1999), three parents; ``epsilon``
    defaults to sqrt(number of parameters + 2)."""

    name = "spx"
    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        if epsilon is not None and (math.isnan(epsilon) or epsilon < 0.0):
            raise ValueError("The value of `epsilon` must be a non-negative number.")
        self.epsilon = epsilon

    def _options(self) -> dict[str, float]:
        return {} if self.epsilon is None else {"epsilon": float(self.epsilon)}


class BaseMutation:
    """A mutation operator: its engine name and the options it sets. A
    description, as the crossovers are: the engine mutates."""

    #: The operator's name in the engine (the CLI's ``mutation = "..."``).
    name: str = ""

    def _options(self) -> dict[str, float]:
        """The engine options this operator sets."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({args})"


class PolynomialMutation(BaseMutation):
    """Polynomial mutation (Deb's NSGA-II code, revision 1.1.6): a
    numeric parameter that mutates moves from its value by a polynomial
    distribution within its range; larger ``eta`` stays nearer. (Without
    a mutation object, a mutating parameter is drawn afresh, as in
    Optuna.)"""

    name = "polynomial"

    def __init__(self, eta: float = 20.0) -> None:
        eta = float(eta)
        if math.isnan(eta) or eta < 0:
            raise ValueError("`eta` must be a non-negative float value.")
        self.eta = eta

    def _options(self) -> dict[str, float]:
        return {"mutation_eta": self.eta}
