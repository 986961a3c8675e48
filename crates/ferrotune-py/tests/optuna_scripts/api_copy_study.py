"""API docs: copy a study to another storage."""

import optuna

source = optuna.create_study(study_name="original", storage="sqlite:///from.db")
source.set_user_attr("purpose", "copy")
source.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)

optuna.copy_study(
    from_study_name="original", from_storage="sqlite:///from.db", to_storage="sqlite:///to.db", to_study_name="copy"
)
copied = optuna.load_study(study_name="copy", storage="sqlite:///to.db")
assert copied.user_attrs == {"purpose": "copy"}
assert [t.params for t in copied.trials] == [t.params for t in source.trials]
assert [t.value for t in copied.trials] == [t.value for t in source.trials]
assert [t.datetime_start for t in copied.trials] == [t.datetime_start for t in source.trials]
