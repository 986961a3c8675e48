"""Example: prune PyTorch Lightning training runs on their validation
accuracy with PyTorchLightningPruningCallback (``optuna_integration``)."""

import lightning.pytorch as pl
import optuna
import torch
from optuna_integration import PyTorchLightningPruningCallback
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 5


class Net(pl.LightningModule):
    def __init__(self, n_units: int, lr: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, n_units), nn.ReLU(), nn.Linear(n_units, 10))
        self.lr = lr

    def training_step(self, batch, batch_idx):
        data, target = batch
        return nn.functional.cross_entropy(self.layers(data), target)

    def validation_step(self, batch, batch_idx):
        data, target = batch
        accuracy = (self.layers(data).argmax(dim=1) == target).float().mean()
        self.log("val_acc", accuracy)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def loaders():
    data, target = load_digits(return_X_y=True)
    data = torch.tensor(data / 16.0, dtype=torch.float32)
    target = torch.tensor(target)
    train = TensorDataset(data[:1200], target[:1200])
    valid = TensorDataset(data[1200:], target[1200:])
    return DataLoader(train, batch_size=100, shuffle=False), DataLoader(valid, batch_size=len(valid))


def objective(trial):
    n_units = trial.suggest_int("n_units", 8, 64)
    lr = trial.suggest_float("lr", 1e-6, 1.0, log=True)
    torch.manual_seed(0)
    model = Net(n_units, lr)
    trainer = pl.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=1,
        callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")],
    )
    train_loader, valid_loader = loaders()
    trainer.fit(model, train_dataloaders=train_loader, val_dataloaders=valid_loader)
    return trainer.callback_metrics["val_acc"].item()


if __name__ == "__main__":
    torch.set_num_threads(1)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    study.enqueue_trial({"n_units": 32, "lr": 0.5})
    study.enqueue_trial({"n_units": 32, "lr": 0.5})
    study.enqueue_trial({"n_units": 8, "lr": 1e-6})
    study.optimize(objective, n_trials=4)

    print("Best trial: value {}, params {}".format(study.best_value, study.best_params))
    assert study.trials[2].state == optuna.trial.TrialState.PRUNED
    for trial in study.trials:
        assert trial.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        steps = sorted(trial.intermediate_values)
        # One report per epoch, none for Lightning's sanity check.
        assert steps == list(range(len(steps)))
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert len(steps) == EPOCHS and trial.value == trial.intermediate_values[EPOCHS - 1]
    assert study.best_value > 0.8
