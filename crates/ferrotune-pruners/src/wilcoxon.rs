use ferrotune_core::{FrozenTrial, Pruner, Result, StudyDirection, StudyView, TrialState};

/// Prunes when a one-sided Wilcoxon signed-rank test says the trial is
/// worse than the best (feasible) trial so far, step by step — for objectives that
/// are evaluated over instances or folds, where "step" is the instance and
/// every trial reports the same ones (Optuna's `WilcoxonPruner`).
///
/// Differences `current - best` are paired by step; zero differences are
/// split between the signs (`zsplit`); the p-value follows SciPy's
/// `wilcoxon` (exact without ties and with n <= 50, an exact sign-flip
/// permutation with ties and n <= 13, the normal approximation otherwise).
/// A trial is never pruned while its mean is better than the best trial's,
/// nor with non-finite values or fewer than `n_startup_steps` pairs.
/// Made by [`WilcoxonPruner::builder`] (or `new()` for the defaults).
#[derive(Debug, Clone)]
pub struct WilcoxonPruner {
    p_threshold: f64,
    n_startup_steps: usize,
}

/// Which tail the test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// The differences tend to be positive.
    Greater,
    /// The differences tend to be negative.
    Less,
}

/// Options of a [`WilcoxonPruner`], checked by
/// [`WilcoxonPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct WilcoxonPrunerBuilder {
    p_threshold: f64,
    n_startup_steps: usize,
}

impl WilcoxonPruner {
    /// `p_threshold` 0.1 (Optuna's default) and no startup steps.
    pub fn builder() -> WilcoxonPrunerBuilder {
        WilcoxonPrunerBuilder { p_threshold: 0.1, n_startup_steps: 0 }
    }

    /// A pruner with the defaults of [`WilcoxonPruner::builder`].
    pub fn new() -> Self {
        Self::builder().build().expect("the defaults are valid")
    }
}

impl Default for WilcoxonPruner {
    fn default() -> Self {
        Self::new()
    }
}

impl WilcoxonPrunerBuilder {
    /// Prune when the test's p-value is below this significance level
    /// (default 0.1, in [0, 1]).
    pub fn p_threshold(mut self, p: f64) -> Self {
        self.p_threshold = p;
        self
    }

    /// Need at least this many paired steps before testing (default 0;
    /// Optuna's default is 2).
    pub fn n_startup_steps(mut self, n: usize) -> Self {
        self.n_startup_steps = n;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<WilcoxonPruner> {
        if !(0.0..=1.0).contains(&self.p_threshold) {
            return Err(crate::invalid("p_threshold", format_args!("must be in [0, 1], got {}", self.p_threshold)));
        }
        Ok(WilcoxonPruner { p_threshold: self.p_threshold, n_startup_steps: self.n_startup_steps })
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n as f64
}

impl Pruner for WilcoxonPruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let direction = crate::single_direction(study, "Wilcoxon")?;
        let current = &trial.intermediate_values;
        if current.is_empty() || current.values().any(|v| !v.is_finite()) {
            return Ok(false);
        }
        // The best feasible trial, as Optuna's `study.best_trial` is: a
        // trial that violates a constraint is no reference to prune by.
        let complete = study.trials_in(&[TrialState::Complete]);
        let best = complete.filter(|t| t.value().is_some() && t.is_feasible()).reduce(|a, b| {
            if direction.is_better(b.value().unwrap_or(f64::NAN), a.value().unwrap_or(f64::NAN)) {
                b
            } else {
                a
            }
        });
        let Some(best) = best.map(|b| &b.intermediate_values) else { return Ok(false) };
        if best.is_empty() || best.values().any(|v| !v.is_finite()) {
            return Ok(false);
        }
        let diffs: Vec<f64> = current.iter().filter_map(|(s, v)| best.get(s).map(|b| v - b)).collect();
        if diffs.len() < self.n_startup_steps {
            return Ok(false);
        }
        let (alternative, mean_is_better) = match direction {
            StudyDirection::Minimize => {
                (Alternative::Greater, mean(best.values().copied()) >= mean(current.values().copied()))
            }
            StudyDirection::Maximize => {
                (Alternative::Less, mean(best.values().copied()) <= mean(current.values().copied()))
            }
        };
        let p = wilcoxon_p_value(&diffs, alternative);
        if p.is_nan() || mean_is_better {
            return Ok(false);
        }
        Ok(p < self.p_threshold)
    }
}

/// The one-sided p-value of the Wilcoxon signed-rank test on `d` with
/// zero differences split between the signs. NaN for empty input.
pub fn wilcoxon_p_value(d: &[f64], alternative: Alternative) -> f64 {
    let n = d.len();
    if n == 0 {
        return f64::NAN;
    }
    // Average ranks of |d|, zeros included.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].abs().total_cmp(&d[b].abs()));
    let mut ranks = vec![0.0; n];
    let mut tie_sizes = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && d[order[j + 1]].abs() == d[order[i]].abs() {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = average;
        }
        tie_sizes.push((j - i + 1) as f64);
        i = j + 1;
    }
    let has_zeros = d.contains(&0.0);
    let has_ties = tie_sizes.iter().any(|&t| t > 1.0);
    let zero_part: f64 = (0..n).filter(|&k| d[k] == 0.0).map(|k| ranks[k] / 2.0).sum();
    let t_plus: f64 = (0..n).filter(|&k| d[k] > 0.0).map(|k| ranks[k]).sum::<f64>() + zero_part;

    if n <= 50 && !has_ties && !has_zeros {
        // Exact null distribution: how many subsets of 1..=n have each sum.
        let max_sum = n * (n + 1) / 2;
        let mut counts = vec![0.0f64; max_sum + 1];
        counts[0] = 1.0;
        for r in 1..=n {
            for s in (r..=max_sum).rev() {
                counts[s] += counts[s - r];
            }
        }
        let total = 2f64.powi(n as i32);
        let tail: f64 = match alternative {
            Alternative::Greater => counts[t_plus.floor() as usize..].iter().sum(),
            Alternative::Less => counts[..=t_plus.ceil() as usize].iter().sum(),
        };
        return (tail / total).min(1.0);
    }
    if n <= 13 {
        // Exact sign-flip permutation over the non-zero differences.
        let nonzero: Vec<f64> = (0..n).filter(|&k| d[k] != 0.0).map(|k| ranks[k]).collect();
        let tolerance = 1e-12 * t_plus.abs().max(1.0);
        let mut hits = 0u64;
        for signs in 0u32..(1 << nonzero.len()) {
            let t: f64 = nonzero.iter().enumerate().filter(|(b, _)| signs >> b & 1 == 1).map(|(_, r)| r).sum::<f64>()
                + zero_part;
            let hit = match alternative {
                Alternative::Greater => t >= t_plus - tolerance,
                Alternative::Less => t <= t_plus + tolerance,
            };
            hits += u64::from(hit);
        }
        return hits as f64 / f64::from(1u32 << nonzero.len());
    }
    let nf = n as f64;
    let tie_correction: f64 = tie_sizes.iter().map(|t| t * t * t - t).sum::<f64>() / 2.0;
    let se = ((nf * (nf + 1.0) * (2.0 * nf + 1.0) - tie_correction) / 24.0).sqrt();
    if se == 0.0 {
        return 1.0;
    }
    let z = (t_plus - nf * (nf + 1.0) / 4.0) / se;
    match alternative {
        Alternative::Greater => 0.5 * libm::erfc(z / std::f64::consts::SQRT_2),
        Alternative::Less => 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2),
    }
}
