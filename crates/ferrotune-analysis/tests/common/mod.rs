//! Synthetic studies whose parameter importance is known by construction,
//! shared by the ranking tests and the comparison with Optuna.

#![allow(dead_code)]

use std::sync::Arc;

use ferrotune_analysis::importance::{ForestOptions, PedAnovaOptions};
use ferrotune_core::Result;
use ferrotune_core::{Distribution, FloatDistribution, FrozenTrial, IntDistribution, StudyDirection, TrialState};

/// A forest evaluator: `fanova` or `mean_decrease_impurity`.
pub type Evaluator = fn(&[Arc<FrozenTrial>], &[StudyDirection], &ForestOptions) -> Result<Vec<(String, f64)>>;

/// SplitMix64: a few lines, enough for uniform draws in tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The score a case judges by when it has a target: `sign * values[objective]`.
#[derive(Clone, Copy, Debug)]
pub struct TargetSpec {
    pub objective: usize,
    pub sign: f64,
}

/// One synthetic study and how importance is asked of it.
pub struct Case {
    pub name: &'static str,
    pub directions: Vec<StudyDirection>,
    pub trials: Vec<Arc<FrozenTrial>>,
    pub target_quantile: f64,
    pub region_quantile: f64,
    pub evaluate_on_local: bool,
    pub params: Option<Vec<String>>,
    pub target: Option<TargetSpec>,
    pub normalize: bool,
    /// Parameter names from most to least important, as the construction
    /// says; a `|` separates groups whose order within is not implied.
    pub expected: &'static str,
    /// The order a forest can see, where it is less than `expected`: a
    /// term that explains a sliver of the variance is within a forest's
    /// noise at 200 trials (Optuna's too), though it decides which trials
    /// are best, which PED-ANOVA looks at.
    pub forest_expected: Option<&'static str>,
    /// The forest evaluators (fanova, fanova-linear: with log parameters
    /// on their linear scale, mdi) whose Optuna counterpart ranks this case
    /// otherwise, and why (the agreement test checks that it still does).
    pub differs_from_optuna: &'static [(&'static str, &'static str)],
}

impl Case {
    pub fn new(name: &'static str, trials: Vec<Arc<FrozenTrial>>, expected: &'static str) -> Self {
        Case {
            name,
            directions: vec![StudyDirection::Minimize],
            trials,
            target_quantile: 0.1,
            region_quantile: 1.0,
            evaluate_on_local: true,
            params: None,
            target: None,
            normalize: true,
            expected,
            forest_expected: None,
            differs_from_optuna: &[],
        }
    }

    pub fn options(&self) -> PedAnovaOptions {
        let mut options = PedAnovaOptions {
            target_quantile: self.target_quantile,
            region_quantile: self.region_quantile,
            evaluate_on_local: self.evaluate_on_local,
            params: self.params.clone(),
            normalize: self.normalize,
            ..PedAnovaOptions::default()
        };
        if let Some(TargetSpec { objective, sign }) = self.target {
            options = options.with_target(move |t| sign * t.values.as_ref().map_or(f64::NAN, |v| v[objective]));
        }
        options
    }

    /// The forest evaluators' options for this case (its parameters,
    /// target and normalization; the quantiles are PED-ANOVA's alone).
    pub fn forest_options(&self, seed: u64) -> ForestOptions {
        let mut options = ForestOptions {
            params: self.params.clone(),
            normalize: self.normalize,
            seed: Some(seed),
            ..ForestOptions::default()
        };
        if let Some(TargetSpec { objective, sign }) = self.target {
            options = options.with_target(move |t| sign * t.values.as_ref().map_or(f64::NAN, |v| v[objective]));
        }
        options
    }

    /// The expected order as groups: each parameter of a group must rank
    /// above every parameter of the groups after it.
    pub fn expected_groups(&self) -> Vec<Vec<&'static str>> {
        groups(self.expected)
    }

    /// The expected order for the forest evaluators, as groups.
    pub fn forest_expected_groups(&self) -> Vec<Vec<&'static str>> {
        groups(self.forest_expected.unwrap_or(self.expected))
    }
}

fn groups(expected: &'static str) -> Vec<Vec<&'static str>> {
    expected.split('>').map(|g| g.split('|').map(str::trim).collect()).collect()
}

/// Trials built one at a time: each parameter drawn, then the value.
pub struct Draw<'a> {
    pub rng: &'a mut Rng,
    builder: ferrotune_core::FrozenTrialBuilder,
}

impl Draw<'_> {
    pub fn float(&mut self, name: &str, distribution: &Distribution) -> f64 {
        let Distribution::Float(d) = distribution else { unreachable!() };
        let u = self.rng.uniform();
        let v = match (d.log(), d.step()) {
            (true, _) => (d.low().ln() + u * (d.high().ln() - d.low().ln())).exp().clamp(d.low(), d.high()),
            (false, Some(_)) => d.grid_value((u * (d.n_steps().unwrap_or(0) + 1) as f64) as u64),
            (false, None) => d.low() + u * (d.high() - d.low()),
        };
        self.set(name, distribution, v);
        v
    }
    pub fn int(&mut self, name: &str, distribution: &Distribution) -> i64 {
        let Distribution::Int(d) = distribution else { unreachable!() };
        let v = if d.log() {
            let u = self.rng.uniform();
            let x =
                ((d.low() as f64 - 0.5).ln() + u * ((d.high() as f64 + 0.5).ln() - (d.low() as f64 - 0.5).ln())).exp();
            (x.round() as i64).clamp(d.low(), d.high())
        } else {
            d.nth(self.rng.below(d.n_steps() + 1))
        };
        self.set(name, distribution, v as f64);
        v
    }
    pub fn categorical(&mut self, name: &str, distribution: &Distribution) -> usize {
        let Distribution::Categorical(d) = distribution else { unreachable!() };
        let i = self.rng.below(d.choices().len() as u64) as usize;
        self.set(name, distribution, i as f64);
        i
    }
    fn set(&mut self, name: &str, distribution: &Distribution, internal: f64) {
        let builder = std::mem::replace(&mut self.builder, FrozenTrial::builder(0));
        self.builder = builder.param(name, distribution, internal);
    }
}

pub fn study(seed: u64, n: u64, mut objective: impl FnMut(&mut Draw) -> Vec<f64>) -> Vec<Arc<FrozenTrial>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|number| {
            let mut draw = Draw { rng: &mut rng, builder: FrozenTrial::builder(number) };
            let values = objective(&mut draw);
            Arc::new(draw.builder.values(&values).build())
        })
        .collect()
}

pub fn float(low: f64, high: f64) -> Distribution {
    Distribution::float(low, high).unwrap()
}

pub fn log_float(low: f64, high: f64) -> Distribution {
    Distribution::Float(FloatDistribution::new(low, high, true, None).unwrap())
}

/// The synthetic cases. Each has 200 trials (top 10%: 20).
pub fn cases() -> Vec<Case> {
    // On [-2, 2] the quadratic's lead over the linear term is clear at 200
    // trials (on [-1, 1] the top 10% is nearly as narrow in x1 as in x0).
    let x = float(-2.0, 2.0);
    let unit = float(0.0, 1.0);
    let mut cases = Vec::new();

    // The issue's example: a quadratic that dominates, a linear term, a
    // negligible one and an irrelevant one.
    cases.push(Case::new(
        "quadratic",
        study(1, 200, |d| {
            let (x0, x1, x2) = (d.float("x0", &x), d.float("x1", &x), d.float("x2", &x));
            d.float("noise", &x);
            vec![10.0 * x0 * x0 + x1 + 0.01 * x2]
        }),
        "x0 > x1 > x2 | noise",
    ));

    // A log-scale learning rate whose optimum is at 1e-3.
    let lr = log_float(1e-5, 1.0);
    cases.push(Case::new(
        "log_scale",
        study(2, 200, |d| {
            let lr = d.float("lr", &lr);
            let momentum = d.float("momentum", &unit);
            d.float("noise", &unit);
            vec![(lr.log10() + 3.0).powi(2) + 0.5 * momentum]
        }),
        "lr > momentum > noise",
    ));

    // An int with an interior optimum, a log-scale int that matters less.
    let layers = Distribution::int(1, 20).unwrap();
    let units = Distribution::Int(IntDistribution::new(1, 1024, true, 1).unwrap());
    cases.push(Case::new(
        "int",
        study(3, 200, |d| {
            let n = d.int("layers", &layers);
            let units = d.int("units", &units);
            d.int("noise", &layers);
            vec![(n - 7).abs() as f64 + 0.3 * (units as f64).log2()]
        }),
        "layers > units > noise",
    ));

    // A categorical choice with one good option, and observation noise so
    // that the weak x1 does not alone decide which of the good option's
    // trials are best (it would then be concentrated in the best trials as
    // much as the choice is, and the categorical estimator smooths more).
    let optimizer = Distribution::categorical(["sgd", "adam", "rmsprop", "adagrad"]).unwrap();
    let flag = Distribution::categorical([true, false]).unwrap();
    cases.push(Case::new(
        "categorical",
        study(4, 200, |d| {
            let o = d.categorical("optimizer", &optimizer);
            let x1 = d.float("x1", &unit);
            d.categorical("noise", &flag);
            let observation_noise = d.rng.uniform();
            vec![if o == 1 { 0.0 } else { 2.0 } + 0.2 * x1 + 0.5 * observation_noise]
        }),
        "optimizer > x1 > noise",
    ));

    // A conditional parameter, present in the half of the trials with
    // kind "a", where it decides the value.
    let kind = Distribution::categorical(["a", "b"]).unwrap();
    cases.push(Case::new(
        "conditional",
        study(5, 200, |d| {
            let k = d.categorical("kind", &kind);
            let x1 = d.float("x1", &unit);
            d.float("noise", &unit);
            let base = if k == 0 { 2.0 * d.float("y", &unit) } else { 1.0 };
            vec![base + x1]
        }),
        "y > x1 | kind > noise",
    ));

    // A stepped float on a grid of eleven values.
    let stepped = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap());
    cases.push(Case::new(
        "stepped",
        study(6, 200, |d| {
            let s = d.float("s", &stepped);
            let x1 = d.float("x1", &unit);
            d.float("noise", &unit);
            vec![10.0 * (s - 0.6).powi(2) + 0.3 * x1]
        }),
        "s > x1 > noise",
    ));

    // Maximized: the same shape as the quadratic, negated.
    let mut case = Case::new(
        "maximize",
        study(7, 200, |d| {
            let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
            d.float("noise", &x);
            vec![-(10.0 * x0 * x0 + 2.0 * x1)]
        }),
        "x0 > x1 > noise",
    );
    case.directions = vec![StudyDirection::Maximize];
    cases.push(case);

    // Some trials failed or were pruned; they must not count.
    let mut trials = study(8, 200, |d| {
        let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
        d.float("noise", &x);
        vec![x0.abs() + 0.3 * x1.abs()]
    });
    for (i, trial) in trials.iter_mut().enumerate().filter(|(i, _)| i % 7 == 0) {
        let mut t = (**trial).clone();
        t.state = if i % 2 == 0 { TrialState::Failed } else { TrialState::Pruned };
        t.values = None;
        *trial = Arc::new(t);
    }
    cases.push(Case::new("failed_trials", trials, "x0 > x1 > noise"));

    // Two objectives, each driven by its own parameter, judged by one.
    let two = |target: TargetSpec, name: &'static str, expected: &'static str| {
        let mut case = Case::new(
            name,
            study(9, 200, |d| {
                let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
                d.float("noise", &x);
                vec![10.0 * x0 * x0 + 0.5 * x1, 10.0 * x1 * x1 + 0.5 * x0]
            }),
            expected,
        );
        case.directions = vec![StudyDirection::Minimize, StudyDirection::Maximize];
        case.target = Some(target);
        case
    };
    let mut case = two(TargetSpec { objective: 0, sign: 1.0 }, "multi_objective_first", "x0 > x1 > noise");
    // 0.5 * x1 is 0.2% of the first objective's variance.
    case.forest_expected = Some("x0 > x1 | noise");
    cases.push(case);
    // Objective 1 maximized: the target negates it, so the best trials
    // have |x1| large.
    cases.push(two(TargetSpec { objective: 1, sign: -1.0 }, "multi_objective_second", "x1 > x0 | noise"));

    // A smaller region and a global measure, on the quadratic.
    let quadratic = |seed| {
        study(seed, 200, |d| {
            let (x0, x1, x2) = (d.float("x0", &x), d.float("x1", &x), d.float("x2", &x));
            d.float("noise", &x);
            vec![10.0 * x0 * x0 + x1 + 0.01 * x2]
        })
    };
    let mut case = Case::new("region_half", quadratic(10), "x0 > x1 > x2 | noise");
    case.region_quantile = 0.5;
    cases.push(case);
    let mut case = Case::new("global", quadratic(11), "x0 > x1 > x2 | noise");
    case.evaluate_on_local = false;
    cases.push(case);
    let mut case = Case::new("params_subset_unnormalized", quadratic(12), "x0 > x1");
    case.params = Some(vec!["x1".into(), "x0".into()]);
    case.normalize = false;
    case.target_quantile = 0.2;
    cases.push(case);

    cases
}

/// Studies of several objectives judged without a target: PED-ANOVA picks
/// the best trials by Pareto rank and hypervolume contribution, as Optuna
/// 5's (the forests need a target, so these are PED-ANOVA's alone).
pub fn pareto_cases() -> Vec<Case> {
    let x = float(-2.0, 2.0);
    let mut cases = Vec::new();
    // Both objectives want x0 = 0; they pull x1 to -1 and to 1, so the
    // front spans x1 in [-1, 1], half its range.
    let mut case = Case::new(
        "pareto_two_objectives",
        study(31, 200, |d| {
            let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
            d.float("noise", &x);
            vec![10.0 * x0 * x0 + (x1 + 1.0).powi(2), -(10.0 * x0 * x0 + (x1 - 1.0).powi(2))]
        }),
        "x0 > x1 > noise",
    );
    case.directions = vec![StudyDirection::Minimize, StudyDirection::Maximize];
    cases.push(case);
    // Three objectives: the front of 200 random trials is larger than the
    // top 10%, so the hypervolume subset selection decides in 3-D.
    let mut case = Case::new(
        "pareto_three_objectives",
        study(32, 200, |d| {
            let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
            d.float("noise", &x);
            [-1.0, 0.0, 1.0].iter().map(|c| 10.0 * x0 * x0 + (x1 - c).powi(2)).collect()
        }),
        "x0 > x1 > noise",
    );
    case.directions = vec![StudyDirection::Minimize; 3];
    cases.push(case);
    // A wider region: the best half by Pareto rank, and the top 10% within.
    let mut case = Case::new(
        "pareto_region_half",
        study(33, 200, |d| {
            let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
            d.float("noise", &x);
            vec![10.0 * x0 * x0 + (x1 + 1.0).powi(2), 10.0 * x0 * x0 + (x1 - 1.0).powi(2)]
        }),
        "x0 > x1 | noise",
    );
    case.directions = vec![StudyDirection::Minimize, StudyDirection::Minimize];
    case.region_quantile = 0.5;
    cases.push(case);
    cases
}

/// More cases, where the forest's view (variance explained over the
/// search space) is what decides.
pub fn forest_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let unit = float(0.0, 1.0);

    // The learning rate matters only below 1e-3: 40% of its log-scaled
    // range, 0.1% of its linear one. Measured over the space the study
    // sampled from, it comes first.
    let lr = log_float(1e-5, 1.0);
    let mut case = Case::new(
        "log_scale_only_small_values_matter",
        study(21, 300, |d| {
            let lr = d.float("lr", &lr);
            let x1 = d.float("x1", &unit);
            d.float("noise", &unit);
            vec![(-3.0 - lr.log10()).max(0.0) + 0.3 * x1]
        }),
        "lr > x1 > noise",
    );
    case.differs_from_optuna =
        &[("fanova", "Optuna integrates lr on its linear scale, where lr below 1e-3 is a thousandth of the range")];
    cases.push(case);

    // A categorical with many choices, one of them far better.
    let choice = Distribution::categorical((0..12).map(|i| format!("c{i}"))).unwrap();
    let few = Distribution::categorical(["p", "q", "r"]).unwrap();
    cases.push(Case::new(
        "many_choices",
        study(22, 300, |d| {
            let c = d.categorical("choice", &choice);
            let x1 = d.float("x1", &unit);
            d.categorical("noise", &few);
            vec![if c == 5 { -3.0 } else { 0.1 * c as f64 } + 0.5 * x1]
        }),
        "choice > x1 > noise",
    ));

    // A conditional int (present for one kind of model only) that decides
    // that kind's value, an always-present float that matters less; the
    // kind itself makes no difference on average (both kinds average 1.5).
    let kind = Distribution::categorical(["tree", "linear"]).unwrap();
    let depth = Distribution::int(1, 12).unwrap();
    cases.push(Case::new(
        "conditional_int",
        study(23, 300, |d| {
            let k = d.categorical("kind", &kind);
            let x1 = d.float("x1", &unit);
            d.float("noise", &unit);
            let base = if k == 0 { ((d.int("depth", &depth) - 6) as f64).abs() / 2.0 } else { 1.5 };
            vec![base + 0.5 * x1]
        }),
        "depth > x1 > kind | noise",
    ));

    // A log-scaled int with its optimum inside the range.
    let units = Distribution::Int(IntDistribution::new(1, 4096, true, 1).unwrap());
    cases.push(Case::new(
        "log_int",
        study(24, 300, |d| {
            let u = d.int("units", &units);
            let x1 = d.float("x1", &unit);
            d.float("noise", &unit);
            vec![((u as f64).log2() - 6.0).powi(2) / 10.0 + 0.3 * x1]
        }),
        "units > x1 > noise",
    ));

    // Objective values far from zero and tiny differences: the forest works
    // on standardized scores.
    let x = float(-1.0, 1.0);
    let mut case = Case::new(
        "large_offset",
        study(25, 300, |d| {
            let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
            d.float("noise", &x);
            vec![1e9 + 1e-3 * (x0 * x0 * 4.0 + x1)]
        }),
        "x0 > x1 > noise",
    );
    const WHY: &str = "scikit-learn's trees compute variances as mean of squares minus squared mean, which loses the \
               differences at 1e9";
    case.differs_from_optuna = &[("fanova", WHY), ("fanova-linear", WHY), ("mdi", WHY)];
    cases.push(case);
    cases
}

/// The synthetic cases and the forest's cases.
pub fn all_cases() -> Vec<Case> {
    let mut all = cases();
    all.extend(forest_cases());
    all
}
