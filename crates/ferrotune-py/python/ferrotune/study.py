"""Studies: ``create_study``, ``load_study`` and the ``Study`` class.

The engine (``ferrotune._ferrotune.Study``) does the sampling, pruning and
storage, releasing the GIL while it works; this module adds the Python-side
loop of ``optimize`` (threads, timeout, callbacks, ``catch``), logging, and
``trials_dataframe``.
"""

from __future__ import annotations

import enum
import gc
import math
import os
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, Union

from ferrotune import _ferrotune
from ferrotune import logging as _ft_logging
from ferrotune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)
from ferrotune.exceptions import SearchSpaceExhausted, TrialPruned, UpdateFinishedTrialError
from ferrotune.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    import pandas as pd

    from ferrotune.pruners import BasePruner
    from ferrotune.samplers import BaseSampler
    from ferrotune.storages import BaseStorage

_logger = _ft_logging.get_logger("ferrotune.study")
# The engine's ask and tell, called without `super()` on the paths every
# trial takes.
_native_ask = _ferrotune.Study.ask
_native_tell = _ferrotune.Study.tell



class _TellFinishedTrialError(UpdateFinishedTrialError, ValueError):
    """``tell`` on a trial already finished."""


ObjectiveFuncType = Callable[[Trial], Union[float, Sequence[float]]]

# The study system attribute holding the objectives' names (Optuna's key, so
# that a study copied between the two keeps them).
_METRIC_NAMES_ATTR = "study:metric_names"


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimized or maximized; Optuna's names."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    __str__ = __repr__


def _direction_name(direction: Union[str, StudyDirection]) -> str:
    if isinstance(direction, StudyDirection):
        if direction == StudyDirection.NOT_SET:
            raise ValueError("direction must be MINIMIZE or MAXIMIZE, not NOT_SET")
        return direction.name.lower()
    if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
        return direction.lower()
    raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")


class Study(_ferrotune.Study):
    """A study: a named set of trials in a storage, with the sampler and
    pruner this process uses on it. Create one with :func:`create_study`;
    ``Study(study_name, storage)`` loads an existing one."""

    # The sampler and pruner objects (set by __new__, defaults included):
    # `study.sampler`, and the sampler's hooks the engine does not call
    # itself (after_trial, reseed_rng) for a Python subclass of BaseSampler
    # or a PartialFixedSampler passing them to its base sampler.
    _sampler: "BaseSampler"
    _pruner: "BasePruner"

    def __new__(
        cls,
        study_name: str,
        storage: Union[str, "BaseStorage", None],
        sampler: Optional["BaseSampler"] = None,
        pruner: Optional["BasePruner"] = None,
    ) -> "Study":
        # The defaults are made here, as objects, and handed to the engine,
        # so that `study.sampler` is the very sampler the study uses (its
        # seed, its options), as in Optuna.
        from ferrotune.pruners import MedianPruner
        from ferrotune.samplers import TPESampler

        sampler = TPESampler() if sampler is None else sampler
        pruner = MedianPruner() if pruner is None else pruner
        study = super().__new__(cls, study_name, storage, sampler, pruner)
        study._sampler = sampler
        study._pruner = pruner
        return study

    def __init__(
        self,
        study_name: str,
        storage: Union[str, "BaseStorage", None],
        sampler: Optional["BaseSampler"] = None,
        pruner: Optional["BasePruner"] = None,
    ) -> None:
        # The engine object was built by __new__ from the same arguments.
        self._stop_flag = threading.Event()
        self._optimizing = False
        self._note_sampler(self._sampler)

    def _note_sampler(self, sampler: "BaseSampler") -> None:
        """Keep the sampler, and what ``tell`` must do for it in Python."""
        self._sampler = sampler
        # TPESampler, GPSampler, NSGAIISampler, NSGAIIISampler(constraints_func=...):
        # Optuna's way to give constraints, recorded here with trial.set_constraint.
        self._constraints_func = getattr(sampler, "_constraints_func", None)
        # Without constraints and a Python after_trial hook, tell goes
        # straight to the engine: the checks on the way cost about 0.5 µs,
        # a fortieth of an NSGA-II trial's overhead from Python.
        self._plain_tell = self._constraints_func is None and (
            sampler is None or type(sampler).after_trial is _ferrotune.BaseSampler.after_trial
        )

    # ------------------------------------------------------------ reading

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        names = self._direction_names
        if len(names) > 1:
            raise RuntimeError(
                "this study has several objectives: use `directions` (direction is for single-objective studies)"
            )
        return StudyDirection[names[0].upper()]

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return [StudyDirection[n.upper()] for n in self._direction_names]

    def get_trials(
        self, deepcopy: bool = True, states: Optional[Iterable[TrialState]] = None
    ) -> list[FrozenTrial]:
        """Every trial in number order, or those in ``states``. Trials are
        immutable snapshots, so ``deepcopy`` changes nothing."""
        del deepcopy
        return self._trials_in(None if states is None else list(states))

    def __repr__(self) -> str:
        return f"<ferrotune.Study {self.study_name!r}>"

    @property
    def sampler(self) -> "BaseSampler":
        """The sampler this study uses in this process: the one it was
        created or loaded with (the default ``TPESampler`` made then), or
        the one assigned since."""
        return self._sampler

    @sampler.setter
    def sampler(self, sampler: "BaseSampler") -> None:
        # Trials asked from now on use it (running ones keep theirs), in this
        # Study object; other processes keep the sampler they loaded with.
        self._set_sampler(sampler)
        self._note_sampler(sampler)

    @property
    def pruner(self) -> "BasePruner":
        """The pruner this study uses in this process: the one it was
        created or loaded with (the default ``MedianPruner`` made then), or
        the one assigned since."""
        return self._pruner

    @pruner.setter
    def pruner(self, pruner: "BasePruner") -> None:
        # Every later should_prune asks it, running trials' included.
        self._set_pruner(pruner)
        self._pruner = pruner

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and ``copy.deepcopy`` (see ``ferrotune._pickling``): a
        study on a database is loaded again, an in-memory one carries its
        trials into a new in-memory storage."""
        from ferrotune import _pickling

        return _pickling._reduce_study(self)

    @property
    def metric_names(self) -> Optional[list[str]]:
        """The names given to the objectives with :meth:`set_metric_names`
        (by any process), or None."""
        names = self._system_attrs().get(_METRIC_NAMES_ATTR)
        return None if names is None else [str(n) for n in names]

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name the objectives, one name per direction. The names are kept
        in the study's storage (a system attribute, under Optuna's key), so
        every process that loads the study sees them."""
        names = list(metric_names)
        if len(names) != len(self._direction_names):
            raise ValueError(
                f"the study has {len(self._direction_names)} objective(s) but {len(names)} metric name(s) "
                f"were given: {names}"
            )
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"metric names must be strings, got {names!r}")
        self._set_system_attr(_METRIC_NAMES_ATTR, names)

    # ------------------------------------------------------------ add trials

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished (or waiting) trial made elsewhere, such as by
        :func:`ferrotune.trial.create_trial`, with the study's next number;
        samplers then learn from it as from any other. Checked as Optuna
        checks it (see ``create_trial``), plus: one value per objective, and
        each parameter's distribution compatible with the one earlier trials
        recorded for that name (same kind and scale, same choices).

        Unlike Optuna, a RUNNING trial is refused (a ``ValueError``): no
        worker would ever finish it. A WAITING trial is claimed by the next
        ``ask`` with its parameters, as an enqueued one."""
        self._add_checked(trial, self._recorded_distributions())

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """:meth:`add_trial` for each trial, in order (each checked before
        it is written: a refused trial stops the loop, the trials before it
        stay added, as in Optuna)."""
        recorded = self._recorded_distributions()
        for trial in trials:
            self._add_checked(trial, recorded)

    def _recorded_distributions(self) -> dict[str, BaseDistribution]:
        """The first distribution the study's trials recorded for each name."""
        recorded: dict[str, BaseDistribution] = {}
        for t in self.trials:
            for name, distribution in t.distributions.items():
                recorded.setdefault(name, distribution)
        return recorded

    def _add_checked(self, trial: FrozenTrial, recorded: dict[str, BaseDistribution]) -> None:
        if not isinstance(trial, FrozenTrial):
            raise TypeError(
                f"add_trial takes a FrozenTrial (from ferrotune.trial.create_trial, say), got {type(trial).__name__}"
            )
        trial._validate()
        n_objectives = len(self._direction_names)
        if trial.values is not None and len(trial.values) != n_objectives:
            raise ValueError(
                f"the trial has {len(trial.values)} value(s) but the study has {n_objectives} objective(s)"
            )
        if trial.state == TrialState.RUNNING:
            raise ValueError(
                "add_trial takes a finished or waiting trial: a RUNNING one would never be finished "
                "(ferrotune differs from Optuna here); use ask() to start a trial"
            )
        for name, distribution in trial.distributions.items():
            if name in recorded:
                check_distribution_compatibility(recorded[name], distribution, name=name)
        self._add_trial(trial)
        for name, distribution in trial.distributions.items():
            recorded.setdefault(name, distribution)

    # ------------------------------------------------------------ ask/tell

    def ask(self, fixed_distributions: Optional[dict[str, BaseDistribution]] = None) -> Trial:
        """Start a trial; parameters in ``fixed_distributions`` are suggested
        at once."""
        trial = _native_ask(self)
        if fixed_distributions:
            for name, distribution in fixed_distributions.items():
                _suggest(trial, name, distribution)
        return trial

    def tell(
        self,
        trial: Union[Trial, int],
        values: Union[float, Sequence[float], None] = None,
        state: Optional[TrialState] = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial (the object from ``ask``, or its number) with its
        objective value(s), or as pruned or failed with ``state``. With a
        sampler's ``constraints_func``, a trial told complete first records
        what it returns as constraints ``0``, ``1``, ... (positive: violated)."""
        if self._plain_tell:
            try:
                return _native_tell(self, trial, values, state, skip_if_finished)
            except UpdateFinishedTrialError as e:
                raise _TellFinishedTrialError(str(e)) from None
        if (
            self._constraints_func is not None
            and isinstance(trial, Trial)
            and values is not None
            and state in (None, TrialState.COMPLETE)
        ):
            try:
                constraints = [float(value) for value in self._constraints_func(trial)]
            except Exception as e:
                # The trial fails with the reason, rather than stay running.
                self._fail(trial, f"constraints_func raised {type(e).__name__}: {e}")
                raise
            nan = [str(i) for i, value in enumerate(constraints) if math.isnan(value)]
            if nan:
                # As a NaN objective value does: the trial fails, the study
                # goes on (Optuna's sampler raises and ends the study).
                return self._fail(
                    trial, f"constraints_func returned NaN for constraint {', '.join(nan)}; a constraint must be a number"
                )
            for i, value in enumerate(constraints):
                trial.set_constraint(str(i), value)
        try:
            self._after_trial(trial, values, state)
        finally:
            # As in Optuna, the trial is finished even if after_trial raised.
            try:
                told = super().tell(trial, values, state, skip_if_finished)
            except UpdateFinishedTrialError as e:
                # Optuna raises ValueError here (and UpdateFinishedTrialError,
                # a RuntimeError, for other changes to a finished trial): this
                # one is both, so either `except` catches it.
                raise _TellFinishedTrialError(str(e)) from None
        return told

    def _fail(self, trial: Union[Trial, int], reason: str) -> FrozenTrial:
        try:
            self._after_trial(trial, None, TrialState.FAIL)
        finally:
            failed = super()._fail(trial, reason)
        return failed

    def _after_trial(
        self, trial: Union[Trial, int], values: Union[float, Sequence[float], None], state: Optional[TrialState]
    ) -> None:
        """Call the sampler's ``after_trial`` hook (if it has one of its own)
        with the trial as it is before being stored as finished, and the
        state and values it will be stored with."""
        sampler = self._sampler
        if sampler is None or type(sampler).after_trial is _ferrotune.BaseSampler.after_trial:
            return
        if isinstance(trial, Trial):
            frozen = _ferrotune._live_frozen_trial(trial)
        else:
            trials = self.get_trials(deepcopy=False)
            if not 0 <= trial < len(trials):
                return  # tell() names the problem
            frozen = trials[trial]
        if frozen.state.is_finished():
            return  # tell() skips it or names the problem
        final_values: Optional[list[float]] = None
        final_state = TrialState.COMPLETE if state is None else state
        if final_state == TrialState.COMPLETE:
            if values is None:
                return  # tell() names the problem
            final_values, final_state = _told_values(values, len(self._direction_names))
        sampler.after_trial(self, frozen, final_state, final_values)

    def stop(self) -> None:
        """Let the running ``optimize`` start no new trial (running ones finish)."""
        if not self._optimizing:
            raise RuntimeError("`Study.stop` is meant to be called from inside `optimize` (an objective or a callback)")
        self._stop_flag.set()

    # ------------------------------------------------------------ optimize

    def optimize(
        self,
        func: ObjectiveFuncType,
        n_trials: Optional[int] = None,
        timeout: Optional[float] = None,
        n_jobs: int = 1,
        catch: Union[Iterable[type[Exception]], type[Exception]] = (),
        callbacks: Optional[Iterable[Callable[["Study", FrozenTrial], None]]] = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run ``func`` on new trials until ``n_trials`` are done, ``timeout``
        seconds have passed, ``stop()`` is called or a grid is exhausted.

        An exception in ``func`` fails its trial and is raised again, unless
        its type is in ``catch``: then the study goes on. ``TrialPruned``
        ends the trial as pruned. A returned NaN or non-number fails the
        trial with a warning. With ``n_jobs > 1`` (``-1``: one per CPU),
        trials run on threads; the engine releases the GIL while it works.
        """
        if isinstance(catch, type):
            catch = (catch,)
        catch = tuple(catch)
        if n_trials is not None and n_trials < 0:
            raise ValueError(f"n_trials must be non-negative, got {n_trials}")
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if n_jobs < 1:
            raise ValueError(f"n_jobs must be positive or -1, got {n_jobs}")
        if self._optimizing:
            raise RuntimeError("nested optimize: this study is already being optimized in this process")
        callbacks = list(callbacks or [])
        progress = _Progress(n_trials, timeout) if show_progress_bar else None

        self._stop_flag.clear()
        self._optimizing = True
        started = time.monotonic()
        lock = threading.Lock()
        launched = 0

        def claim() -> bool:
            nonlocal launched
            with lock:
                if self._stop_flag.is_set():
                    return False
                if timeout is not None and time.monotonic() - started >= timeout:
                    return False
                if n_trials is not None and launched >= n_trials:
                    return False
                launched += 1
                return True

        def worker() -> None:
            try:
                if n_jobs != 1 and self._sampler is not None:
                    # As Optuna does: each worker thread reseeds a sampler
                    # that keeps a generator of its own.
                    self._sampler.reseed_rng()
                while claim():
                    try:
                        trial = self.ask()
                    except SearchSpaceExhausted:
                        self._stop_flag.set()
                        return
                    except Exception as e:
                        if not getattr(e, "_ferrotune_failed_trial", False):
                            raise
                        # A Python sampler's before_trial or relative
                        # sampling raised (in Optuna 5 the relative sample
                        # is drawn in the objective, under `catch`): its
                        # trial has failed, logged as the objective's
                        # failures are, and the study goes on if `catch`
                        # says so.
                        _logger.warning(f"A trial failed to start because of the following error: {e!r}.", exc_info=True)
                        if isinstance(e, catch):
                            continue
                        raise
                    frozen = self._run_trial(func, trial, catch)
                    if progress is not None:
                        progress.update(self, frozen)
                    for callback in callbacks:
                        callback(self, frozen)
                    if self._sampler_is_exhausted():
                        # This worker stops; the others look again when
                        # their trials finish (a running trial may still
                        # open more of its branch: see BruteForceSampler).
                        return
                    if gc_after_trial:
                        gc.collect()
            except BaseException:
                # Other workers start no new trial; the error is raised below.
                self._stop_flag.set()
                raise

        try:
            if n_jobs == 1:
                worker()
            else:
                with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                    futures = [pool.submit(worker) for _ in range(n_jobs)]
                    error: Optional[BaseException] = None
                    for future in futures:
                        try:
                            future.result()
                        except BaseException as e:  # noqa: BLE001 - re-raised below
                            self._stop_flag.set()
                            error = error or e
                    if error is not None:
                        raise error
        finally:
            self._optimizing = False
            self._stop_flag.clear()
            if progress is not None:
                progress.close()

    def _run_trial(self, func: ObjectiveFuncType, trial: Trial, catch: tuple[type[Exception], ...]) -> FrozenTrial:
        try:
            returned = func(trial)
        except TrialPruned as e:
            frozen = self.tell(trial, state=TrialState.PRUNED)
            _logger.info(f"Trial {trial.number} pruned. {e}".rstrip())
            return frozen
        except BaseException as e:
            reason = f"{type(e).__name__}: {e}"
            frozen = self._fail(trial, reason + "\n" + traceback.format_exc(limit=-8))
            _logger.warning(
                f"Trial {trial.number} failed with parameters: {frozen.params} "
                f"because of the following error: {e!r}.",
                exc_info=True,
            )
            if isinstance(e, catch):
                return frozen
            raise
        if returned is None:
            frozen = self._fail(trial, "the objective returned None; it must return a number (or one per objective)")
        else:
            frozen = self.tell(trial, returned)
        if frozen.state == TrialState.FAIL:
            _logger.warning(f"Trial {trial.number} failed with value {returned!r}: {frozen.fail_reason}")
        elif _logger.isEnabledFor(_ft_logging.INFO):
            self._log_complete(frozen)
        return frozen

    def _log_complete(self, frozen: FrozenTrial) -> None:
        values = frozen.values or []
        if len(values) == 1:
            message = f"Trial {frozen.number} finished with value: {values[0]} and parameters: {frozen.params}."
            try:
                best = self.best_trial
            except ValueError:
                # A trial just completed, so the only way there is no best is
                # that every complete trial violates a constraint (the best
                # is feasible only, as in Optuna); logging must not fail the
                # optimize loop over it.
                _logger.info(f"{message} No feasible trial is completed yet.")
                return
            _logger.info(f"{message} Best is trial {best.number} with value: {best.value}.")
        else:
            _logger.info(f"Trial {frozen.number} finished with values: {values} and parameters: {frozen.params}.")

    # ------------------------------------------------------------ export

    def trials_dataframe(
        self,
        attrs: tuple[str, ...] = (
            "number",
            "value",
            "datetime_start",
            "datetime_complete",
            "duration",
            "params",
            "user_attrs",
            "system_attrs",
            "state",
        ),
        multi_index: bool = False,
    ) -> "pd.DataFrame":
        """The trials as a pandas DataFrame, one row per trial, with Optuna's
        columns (``number``, ``value`` or ``values_0``..., ``params_<name>``,
        ``user_attrs_<key>``, ``state`` as a name, ...)."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("trials_dataframe needs pandas: pip install pandas") from e

        n_objectives = len(self._direction_names)
        # Objective columns are named after the metric names when set (as
        # in Optuna: ``values_loss``), else numbered.
        names = self.metric_names
        value_keys = [str(i) for i in range(n_objectives)] if names is None else names
        rows: list[dict[tuple[str, str], Any]] = []
        for t in self.trials:
            row: dict[tuple[str, str], Any] = {}
            for attr in attrs:
                if attr == "value" or attr == "values":
                    values = t.values
                    if n_objectives == 1:
                        row[("value", "" if names is None else names[0])] = None if values is None else values[0]
                    else:
                        for i in range(n_objectives):
                            row[("values", value_keys[i])] = None if values is None else values[i]
                elif attr == "state":
                    row[("state", "")] = t.state.name
                elif attr in ("params", "user_attrs", "system_attrs", "intermediate_values"):
                    for k, v in getattr(t, attr).items():
                        row[(attr, str(k))] = v
                elif attr == "trial_id":
                    row[("trial_id", "")] = t._trial_id
                else:
                    row[(attr, "")] = getattr(t, attr)
            rows.append(row)
        columns: list[tuple[str, str]] = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        order = {a: i for i, a in enumerate(attrs)}
        order.setdefault("values", order.get("value", 0))
        value_order = {key: i for i, key in enumerate(value_keys)}
        columns.sort(key=lambda c: (order.get(c[0], len(order)), c[1] if c[0] != "values" else value_order[c[1]]))
        frame = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=pd.MultiIndex.from_tuples(columns))
        if not multi_index:
            frame.columns = ["_".join(part for part in c if part) for c in columns]
        return frame


def _told_values(values: Union[float, Sequence[float]], n_objectives: int) -> tuple[Optional[list[float]], TrialState]:
    """The values and state a tell of ``values`` stores, as the engine decides
    them: numbers, one per objective, complete (infinities included, as in
    Optuna: a diverged run is the worst value); NaN or anything else fails."""
    try:
        listed = [float(values)]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        try:
            listed = [float(v) for v in values]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return None, TrialState.FAIL
    if len(listed) != n_objectives or any(math.isnan(v) for v in listed):
        return None, TrialState.FAIL
    return listed, TrialState.COMPLETE


def _suggest(trial: Trial, name: str, distribution: BaseDistribution) -> Any:
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(name, distribution.low, distribution.high, step=distribution.step, log=distribution.log)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(name, distribution.low, distribution.high, step=distribution.step, log=distribution.log)
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    raise TypeError(f"'{name}': {distribution!r} is not a ferrotune distribution")


class _Progress:
    """A progress bar for ``show_progress_bar=True`` (needs tqdm)."""

    def __init__(self, n_trials: Optional[int], timeout: Optional[float]) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            _logger.warning("show_progress_bar needs tqdm (pip install tqdm); running without it")
            self._bar = None
            return
        self._bar = tqdm(total=n_trials if n_trials is not None else None)
        self._lock = threading.Lock()

    def update(self, study: Study, frozen: FrozenTrial) -> None:
        if self._bar is None:
            return
        with self._lock:
            self._bar.update(1)
            if len(study._direction_names) == 1:
                try:
                    best = study.best_trial
                    self._bar.set_description(f"Best trial: {best.number}. Best value: {best.value:.6g}")
                except ValueError:
                    pass

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ---------------------------------------------------------------- functions


def create_study(
    *,
    storage: Union[str, "BaseStorage", None] = None,
    sampler: Optional["BaseSampler"] = None,
    pruner: Optional["BasePruner"] = None,
    study_name: Optional[str] = None,
    direction: Union[str, StudyDirection, None] = None,
    load_if_exists: bool = False,
    directions: Optional[Sequence[Union[str, StudyDirection]]] = None,
) -> Study:
    """Create a study (or load it, with ``load_if_exists``).

    ``storage``: None (in memory), a URL such as ``"sqlite:///study.db"``, or a
    storage object. ``sampler``: default ``TPESampler``. ``pruner``:
    default ``MedianPruner``. ``direction``: "minimize" (default) or
    "maximize"; ``directions`` for several objectives.
    """
    if direction is not None and directions is not None:
        raise ValueError("give either direction or directions, not both")
    if directions is None:
        directions = [direction if direction is not None else "minimize"]
    if len(directions) == 0:
        raise ValueError("directions must name at least one direction")
    names = [_direction_name(d) for d in directions]
    storage_obj = _ferrotune._resolve_storage(storage)
    existed = (
        load_if_exists and study_name is not None and study_name in _ferrotune._study_names(storage_obj)
    )
    name = _ferrotune._create_study(storage_obj, study_name, names, load_if_exists, sampler)
    # Optuna's lines, which users and their log parsers look for.
    if existed:
        _logger.info(f"Using an existing study with name '{name}' instead of creating a new one.")
    else:
        if isinstance(storage_obj, _ferrotune.InMemoryStorage):
            where = "in memory"
        elif storage_obj.url.startswith("journal:") or storage_obj.url.endswith((".log", ".jsonl")):
            where = "in Journal"
        else:
            where = "in RDB"
        _logger.info(f"A new study created {where} with name: {name}")
    return Study(name, storage_obj, sampler, pruner)


def load_study(
    *,
    study_name: Optional[str],
    storage: Union[str, "BaseStorage"],
    sampler: Optional["BaseSampler"] = None,
    pruner: Optional["BasePruner"] = None,
) -> Study:
    """Load an existing study. ``study_name`` may be None when the storage
    holds exactly one study."""
    storage_obj = _ferrotune._resolve_storage(storage)
    if study_name is None:
        names = _ferrotune._study_names(storage_obj)
        if len(names) != 1:
            raise ValueError(
                f"study_name is None but the storage holds {len(names)} studies; name one of them: {names}"
            )
        study_name = names[0]
    return Study(study_name, storage_obj, sampler, pruner)


def delete_study(*, study_name: str, storage: Union[str, "BaseStorage"]) -> None:
    """Delete a study and all its trials."""
    _ferrotune._delete_study(_ferrotune._resolve_storage(storage), study_name)


def get_all_study_names(storage: Union[str, "BaseStorage"]) -> list[str]:
    """The names of every study in the storage."""
    return _ferrotune._study_names(_ferrotune._resolve_storage(storage))


# Defined apart (they only use the API above); exported here, where Optuna has them.
from ferrotune._study_tools import (  # noqa: E402
    MaxTrialsCallback,
    StudySummary,
    copy_study,
    get_all_study_summaries,
)

__all__ = [
    "MaxTrialsCallback",
    "ObjectiveFuncType",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
