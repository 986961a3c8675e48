//! Every sampler's options, described once for every face (see
//! [`ferrotune_core::options`]): the CLI's `[sampler]` table, the Python
//! constructors and the options reference all read [`SAMPLERS`].
//!
//! Adding an option to a sampler means one [`OptionSpec`] here and one line
//! in its build function; no face lists options of its own.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use ferrotune_core::options::{ComponentSpec, OptionKind, OptionSet, OptionSpec};
use ferrotune_core::{Distribution, Error, ParamValue, Result, Sampler};

use crate::gp::OutputTransform;
use crate::nsga::{GeneticSampler, GeneticSamplerBuilder, SurvivorCut};
use crate::tpe::MultiObjectiveWeighting;
use crate::{
    BruteForceSampler, CmaEsSampler, Crossover, GpSampler, GridSampler, Mutation, Nsga2Sampler, Nsga3Sampler, QmcKind,
    QmcSampler, RandomSampler, Restart, TpeSampler, TpeWeighting,
};

/// A sampler as every face knows it.
pub type SamplerSpec = ComponentSpec<dyn Sampler>;

/// Every sampler, in the order the reference lists them.
pub static SAMPLERS: [&SamplerSpec; 9] = [&TPE, &GP, &CMAES, &NSGA2, &NSGA3, &QMC, &RANDOM, &GRID, &BRUTE_FORCE];

/// The sampler the CLI's `type` names.
pub fn sampler_spec(name: &str) -> Option<&'static SamplerSpec> {
    SAMPLERS.iter().copied().find(|s| s.is_named(name))
}

const SEED: OptionSpec = OptionSpec {
    name: "seed",
    kind: OptionKind::Seed,
    default: "none (from the clock)",
    help: "Makes a sequential study repeat exactly.",
};

const STARTUP_WORDS: &[&str] = &["random", "sobol", "halton"];

/// `startup`: where a model-based sampler's first trials come from.
struct Startup(Option<QmcKind>);

impl FromStr for Startup {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "random" => Ok(Startup(None)),
            other => other.parse().map(|kind| Startup(Some(kind))),
        }
    }
}

fn invalid(option: &str, e: impl std::fmt::Display) -> Error {
    Error::InvalidOption { option: option.to_owned(), message: e.to_string() }
}

// ---- TPE ----

const TPE_OPTIONS: &[OptionSpec] = &[
    SEED,
    OptionSpec {
        name: "n_startup_trials",
        kind: OptionKind::Count,
        default: "10",
        help: "Trials sampled by the startup design before the model takes over.",
    },
    OptionSpec {
        name: "startup",
        kind: OptionKind::Word(STARTUP_WORDS),
        default: "\"random\"",
        help: "Where the startup trials come from: random points, or scrambled Sobol or Halton points.",
    },
    OptionSpec {
        name: "n_ei_candidates",
        kind: OptionKind::Count,
        default: "24",
        help: "Candidates drawn from the good density; the one with the best density ratio is proposed.",
    },
    OptionSpec {
        name: "multivariate",
        kind: OptionKind::Flag,
        default: "true for one objective; false for several unless group",
        help: "One joint density over the parameters sampled together, rather than one per parameter.",
    },
    OptionSpec {
        name: "group",
        kind: OptionKind::Flag,
        default: "false",
        help: "Split a conditional space into groups of parameters that always appear together.",
    },
    OptionSpec {
        name: "constant_liar",
        kind: OptionKind::Flag,
        default: "true",
        help: "Count running trials as bad ones, so that parallel workers spread out.",
    },
    OptionSpec {
        name: "avoid_repeats",
        kind: OptionKind::Flag,
        default: "true (false with optuna_defaults)",
        help: "On a space of discrete parameters only, pass over a candidate that repeats a finished trial's \
               configuration while another candidate is new (turn off for a noisy objective).",
    },
    OptionSpec {
        name: "prior_weight",
        kind: OptionKind::Number,
        default: "1.0",
        help: "Weight of the prior kernel (a wide kernel over the whole range).",
    },
    OptionSpec {
        name: "consider_magic_clip",
        kind: OptionKind::Flag,
        default: "true",
        help: "Keep bandwidths above a floor that shrinks with the number of trials.",
    },
    OptionSpec {
        name: "consider_endpoints",
        kind: OptionKind::Flag,
        default: "false",
        help: "Let the kernels at the range's ends reach the bounds.",
    },
    OptionSpec {
        name: "gamma",
        kind: OptionKind::Number,
        default: "0.15 for one objective; Optuna's rule for several",
        help: "The fraction of trials that count as good, in (0, 1]: linear, uncapped (Watanabe 2023).",
    },
    OptionSpec {
        name: "weighting",
        kind: OptionKind::Word(&["recency", "expected_improvement"]),
        default: "\"expected_improvement\" for one objective; \"recency\" for several",
        help: "How good trials weigh: by their improvement on the best bad one, or Optuna's recency ramp.",
    },
    OptionSpec {
        name: "multi_objective_weighting",
        kind: OptionKind::Word(&["uniform", "hypervolume_contribution"]),
        default: "\"hypervolume_contribution\"",
        help: "How a good trial weighs with several objectives: by its exclusive hypervolume contribution to \
               the good set (the MOTPE paper's, Optuna 2 to 4; measured better), or all alike (Optuna 5's).",
    },
    OptionSpec {
        name: "min_bandwidth_factor",
        kind: OptionKind::Number,
        default: "0.01",
        help: "Bandwidths stay above range * max(factor, (n + 2)^-magic_clip_exponent).",
    },
    OptionSpec {
        name: "magic_clip_exponent",
        kind: OptionKind::Number,
        default: "1.0",
        help: "The exponent of that floor.",
    },
    OptionSpec {
        name: "optuna_defaults",
        kind: OptionKind::Flag,
        default: "false",
        help: "Optuna's TPE exactly (good set 10% capped at 25, recency weights, a multi-objective good set weighted \
               uniformly); options given beside it win.",
    },
    OptionSpec {
        name: "hyperopt_defaults",
        kind: OptionKind::Flag,
        default: "false",
        help: "Hyperopt 0.1.2's TPE settings (20 startup trials, its gamma, recency weights), for studies moved \
               from Hyperopt; options given beside it win.",
    },
];

impl FromStr for MultiObjectiveWeighting {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "uniform" => Ok(MultiObjectiveWeighting::Uniform),
            "hypervolume_contribution" => Ok(MultiObjectiveWeighting::HypervolumeContribution),
            other => Err(invalid("multi_objective_weighting", format!("unknown weighting '{other}'"))),
        }
    }
}

impl FromStr for TpeWeighting {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "recency" => Ok(TpeWeighting::Recency),
            "expected_improvement" => Ok(TpeWeighting::ExpectedImprovement),
            other => Err(invalid("weighting", format!("unknown weighting '{other}'"))),
        }
    }
}

fn build_tpe(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let mut b = TpeSampler::builder();
    // Optuna's defaults first, so that options given beside them win.
    match (o.flag("optuna_defaults")?, o.flag("hyperopt_defaults")?) {
        (Some(true), Some(true)) => {
            return Err(invalid("hyperopt_defaults", "give optuna_defaults or hyperopt_defaults, not both"))
        }
        (Some(true), _) => b = b.optuna_defaults(),
        (_, Some(true)) => b = b.hyperopt_settings(),
        _ => {}
    }
    if let Some(seed) = o.seed()? {
        b = b.seed(seed);
    }
    if let Some(n) = o.count("n_startup_trials")? {
        b = b.n_startup_trials(n);
    }
    if let Some(Startup(kind)) = o.word("startup")? {
        b = b.startup_qmc(kind);
    }
    if let Some(n) = o.count("n_ei_candidates")? {
        b = b.n_ei_candidates(n);
    }
    if let Some(on) = o.flag("multivariate")? {
        b = b.multivariate(on);
    }
    if let Some(on) = o.flag("group")? {
        b = b.group(on);
    }
    if let Some(on) = o.flag("constant_liar")? {
        b = b.constant_liar(on);
    }
    if let Some(on) = o.flag("avoid_repeats")? {
        b = b.avoid_repeats(on);
    }
    if let Some(w) = o.number("prior_weight")? {
        b = b.prior_weight(w);
    }
    if let Some(on) = o.flag("consider_magic_clip")? {
        b = b.consider_magic_clip(on);
    }
    if let Some(on) = o.flag("consider_endpoints")? {
        b = b.consider_endpoints(on);
    }
    if let Some(gamma) = o.number("gamma")? {
        if !(gamma > 0.0 && gamma <= 1.0) {
            return Err(invalid(
                "gamma",
                format!("must be the fraction of trials that count as good, in (0, 1], got {gamma}"),
            ));
        }
        b = b.gamma_fraction(gamma);
    }
    if let Some(w) = o.word("weighting")? {
        b = b.weighting(w);
    }
    if let Some(w) = o.word("multi_objective_weighting")? {
        b = b.multi_objective_weighting(w);
    }
    if let Some(f) = o.number("min_bandwidth_factor")? {
        b = b.min_bandwidth_factor(f);
    }
    if let Some(e) = o.number("magic_clip_exponent")? {
        b = b.magic_clip_exponent(e);
    }
    Ok(Arc::new(b.build()?))
}

/// Tree-structured Parzen Estimator.
pub static TPE: SamplerSpec = ComponentSpec {
    name: "tpe",
    aliases: &[],
    python: "TPESampler",
    summary: "Tree-structured Parzen Estimator, the default: densities of good and bad trials, \
              multivariate, constant liar for parallel workers, constraints from trial.set_constraint.",
    options: TPE_OPTIONS,
    build: build_tpe,
};

// ---- GP ----

const GP_OPTIONS: &[OptionSpec] = &[
    SEED,
    OptionSpec {
        name: "n_startup_trials",
        kind: OptionKind::Count,
        default: "5",
        help: "Trials sampled by the startup design before the Gaussian process takes over (Optuna's default \
               is 10; fewer finds more within the 20 to 60 trials a GP is used for).",
    },
    OptionSpec {
        name: "startup",
        kind: OptionKind::Word(STARTUP_WORDS),
        default: "\"sobol\"",
        help: "Where the startup trials come from.",
    },
    OptionSpec {
        name: "deterministic_objective",
        kind: OptionKind::Flag,
        default: "false",
        help: "The objective has no noise: the GP's noise is kept at its floor.",
    },
    OptionSpec {
        name: "robust_output",
        kind: OptionKind::Flag,
        default: "true",
        help: "Shorthand for output_transform = \"robust\" (true) or \"standardize\" (false).",
    },
    OptionSpec {
        name: "output_transform",
        kind: OptionKind::Word(&["standardize", "robust", "power"]),
        default: "\"robust\"",
        help: "How objective values are scaled before fitting: standardized, a heavy bad tail compressed, \
               or HEBO's Yeo-Johnson warping.",
    },
];

fn build_gp(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let mut b = GpSampler::builder();
    if let Some(seed) = o.seed()? {
        b = b.seed(seed);
    }
    if let Some(n) = o.count("n_startup_trials")? {
        b = b.n_startup_trials(n);
    }
    if let Some(Startup(kind)) = o.word("startup")? {
        b = b.startup_qmc(kind);
    }
    if let Some(on) = o.flag("deterministic_objective")? {
        b = b.deterministic_objective(on);
    }
    // Two spellings of one setting: which one wins would be a guess.
    if o.has("robust_output") && o.has("output_transform") {
        return Err(invalid(
            "robust_output",
            "give robust_output or output_transform, not both (robust_output = false is output_transform = \"standardize\")",
        ));
    }
    if let Some(on) = o.flag("robust_output")? {
        b = b.robust_output(on);
    }
    if let Some(transform) = o.word::<OutputTransform>("output_transform")? {
        b = b.output_transform(transform);
    }
    Ok(Arc::new(b.build()?))
}

/// Gaussian-process Bayesian optimization.
pub static GP: SamplerSpec = ComponentSpec {
    name: "gp",
    aliases: &[],
    python: "GPSampler",
    summary: "Gaussian-process Bayesian optimization for expensive trials: a Matérn 5/2 kernel per \
              parameter, MAP hyperparameters, log expected improvement (log expected hypervolume improvement with \
              several objectives), running trials as pending points.",
    options: GP_OPTIONS,
    build: build_gp,
};

// ---- CMA-ES ----

const CMAES_OPTIONS: &[OptionSpec] = &[
    SEED,
    OptionSpec {
        name: "x0",
        kind: OptionKind::ParamValues,
        default: "the middle of each range",
        help: "Where the search starts.",
    },
    OptionSpec {
        name: "sigma0",
        kind: OptionKind::Number,
        default: "1/6",
        help: "The initial step size, on the unit cube each parameter's range is scaled to (0.1 is a tenth of \
               every range).",
    },
    OptionSpec {
        name: "n_startup_trials",
        kind: OptionKind::Count,
        default: "1",
        help: "Trials sampled at random before CMA-ES starts.",
    },
    OptionSpec {
        name: "popsize",
        kind: OptionKind::Count,
        default: "4 + 3 ln(dimension)",
        help: "Trials per generation.",
    },
    OptionSpec {
        name: "restart_strategy",
        kind: OptionKind::Word(&["ipop", "bipop", "none"]),
        default: "\"none\"",
        help: "Restart with a growing (IPOP) or alternating (BIPOP) population when the search stalls.",
    },
    OptionSpec {
        name: "inc_popsize",
        kind: OptionKind::Count,
        default: "2",
        help: "How much a restart multiplies the population.",
    },
    OptionSpec {
        name: "use_separable_cma",
        kind: OptionKind::Flag,
        default: "false",
        help: "A diagonal covariance (faster in many dimensions).",
    },
    OptionSpec {
        name: "with_margin",
        kind: OptionKind::Flag,
        default: "false",
        help: "CMA-ES with margin: keeps integer parameters from getting stuck.",
    },
    OptionSpec {
        name: "consider_pruned_trials",
        kind: OptionKind::Flag,
        default: "false",
        help: "Count pruned trials by their last value.",
    },
];

impl FromStr for Restart {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ipop" => Ok(Restart::Ipop),
            "bipop" => Ok(Restart::Bipop),
            "none" => Ok(Restart::None),
            other => Err(invalid("restart_strategy", format!("unknown restart strategy '{other}'"))),
        }
    }
}

/// `x0` in the sampler's own terms: each parameter's internal value.
fn internal_x0(o: &OptionSet<'_>) -> Result<Option<BTreeMap<String, f64>>> {
    let Some(values) = o.param_values("x0")? else { return Ok(None) };
    let mut x0 = BTreeMap::new();
    for (name, value) in values {
        let distribution = o.search_space().and_then(|space| space.iter().find(|(n, _)| *n == name)).map(|(_, d)| d);
        let internal = match (distribution, &value) {
            (Some(d), v) => d.to_internal(&name, v).map_err(|e| invalid(&format!("x0.{name}"), e))?,
            (None, ParamValue::Float(x)) => *x,
            (None, ParamValue::Int(i)) => *i as f64,
            (None, other) => return Err(invalid(&format!("x0.{name}"), format!("{other} is not a number"))),
        };
        x0.insert(name, internal);
    }
    Ok(Some(x0))
}

fn build_cmaes(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    Ok(Arc::new(cmaes_builder(o)?.build()?))
}

/// The CMA-ES builder the options describe, for a face that adds what an
/// option value cannot carry (Python's `source_trials`, other trials) before
/// building it.
pub fn cmaes_builder(o: &OptionSet<'_>) -> Result<crate::CmaEsSamplerBuilder> {
    let mut b = CmaEsSampler::builder();
    if let Some(seed) = o.seed()? {
        b = b.seed(seed);
    }
    if let Some(x0) = internal_x0(o)? {
        b = b.x0(x0);
    }
    if let Some(sigma0) = o.number("sigma0")? {
        b = b.sigma0(sigma0);
    }
    if let Some(n) = o.count("n_startup_trials")? {
        b = b.n_startup_trials(n);
    }
    if let Some(n) = o.count("popsize")? {
        b = b.population_size(n);
    }
    if let Some(restart) = o.word("restart_strategy")? {
        b = b.restart(restart);
    }
    if let Some(n) = o.count("inc_popsize")? {
        b = b.inc_popsize(n);
    }
    if let Some(on) = o.flag("use_separable_cma")? {
        b = b.separable(on);
    }
    if let Some(on) = o.flag("with_margin")? {
        b = b.with_margin(on);
    }
    if let Some(on) = o.flag("consider_pruned_trials")? {
        b = b.consider_pruned_trials(on);
    }
    Ok(b)
}

/// CMA-ES.
pub static CMAES: SamplerSpec = ComponentSpec {
    name: "cmaes",
    aliases: &[],
    python: "CmaEsSampler",
    summary: "CMA-ES over the float and int parameters, with restarts, separable covariance and the \
              margin for integers; categorical and conditional parameters are sampled at random beside it.",
    options: CMAES_OPTIONS,
    build: build_cmaes,
};

// ---- NSGA-II and NSGA-III ----

const CROSSOVER_WORDS: &[&str] = &["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"];

/// The options NSGA-II and NSGA-III share (all of NSGA-II's).
const GENETIC_OPTIONS: [OptionSpec; 15] = [
    SEED,
    OptionSpec {
        name: "population_size",
        kind: OptionKind::Count,
        default: "50",
        help: "Trials per generation (at least 2), and parents kept from one to the next. The study's n_trials counts \
               trials, not generations: 1,000 trials at 50 are about 20 generations.",
    },
    OptionSpec {
        name: "crossover",
        kind: OptionKind::Word(CROSSOVER_WORDS),
        default: "\"uniform\"",
        help: "How a child's numeric parameters are made from its parents' (on each parameter's range scaled \
               to [0, 1]; categorical ones are inherited from a parent): uniform, BLX-alpha, SBX, vSBX \
               (two parents) or UNDX, SPX (three).",
    },
    OptionSpec {
        name: "crossover_prob",
        kind: OptionKind::Number,
        default: "0.9",
        help: "Probability that a child is crossed; otherwise it copies one parent.",
    },
    OptionSpec {
        name: "swapping_prob",
        kind: OptionKind::Number,
        default: "0.5",
        help: "Probability that a parameter the crossover does not blend (every one for uniform crossover, \
               categorical ones for the others) comes from the second parent rather than the first.",
    },
    OptionSpec {
        name: "mutation_prob",
        kind: OptionKind::Number,
        default: "1 / the number of parameters",
        help: "Probability that each parameter of a child mutates.",
    },
    OptionSpec {
        name: "mutation",
        kind: OptionKind::Word(&["uniform", "polynomial"]),
        default: "\"uniform\"",
        help: "What a mutation does: draw the parameter afresh, or move a numeric one by polynomial mutation.",
    },
    OptionSpec {
        name: "mutation_eta",
        kind: OptionKind::Number,
        default: "20",
        help: "Polynomial mutation's distribution index: larger stays nearer the parent's value.",
    },
    OptionSpec {
        name: "alpha",
        kind: OptionKind::Number,
        default: "0.5",
        help: "blxalpha: how far past the parents' interval, in its widths, a child may fall.",
    },
    OptionSpec {
        name: "eta",
        kind: OptionKind::Number,
        default: "20 with several objectives, 2 with one",
        help: "sbx, vsbx: the distribution index; larger keeps children nearer their parents.",
    },
    OptionSpec {
        name: "uniform_crossover_prob",
        kind: OptionKind::Number,
        default: "0.5",
        help: "sbx, vsbx: probability that a parameter comes from the other of the two crossed children.",
    },
    OptionSpec {
        name: "use_child_gene_prob",
        kind: OptionKind::Number,
        default: "0.5",
        help: "sbx, vsbx: probability that a parameter comes from the crossed children rather than the parents.",
    },
    OptionSpec {
        name: "sigma_xi",
        kind: OptionKind::Number,
        default: "0.5",
        help: "undx: standard deviation along the first two parents' line, in units of their distance.",
    },
    OptionSpec {
        name: "sigma_eta",
        kind: OptionKind::Number,
        default: "0.35 / sqrt(number of parameters)",
        help: "undx: standard deviation across that line, in units of the third parent's distance to it.",
    },
    OptionSpec {
        name: "epsilon",
        kind: OptionKind::Number,
        default: "sqrt(number of parameters + 2)",
        help: "spx: how much the parents' simplex is expanded about its centre.",
    },
];

const NSGA2_OPTIONS: &[OptionSpec] = &GENETIC_OPTIONS;

/// NSGA-III's options: NSGA-II's, then its reference points.
const NSGA3_OPTIONS: &[OptionSpec] = &concat::<15, 2, 17>(
    GENETIC_OPTIONS,
    [
        OptionSpec {
            name: "reference_points",
            kind: OptionKind::NumberRows,
            default: "Das-Dennis points",
            help: "The reference points niching spreads the survivors over: one row each, one column per \
                   objective, in the normalized objective space (every objective minimized, 0 at its best \
                   value, about 1 at the extreme points' hyperplane); only their directions matter.",
        },
        OptionSpec {
            name: "dividing_parameter",
            kind: OptionKind::Count,
            default: "3",
            help: "Without reference_points: divisions per objective of the Das-Dennis (simplex-lattice) points, \
                   C(dividing_parameter + objectives - 1, objectives - 1) of them (10 for 3 objectives at 3).",
        },
    ],
);

/// `a` then `b`, at compile time (`N` = `A + B`).
const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [OptionSpec; A],
    b: [OptionSpec; B],
) -> [OptionSpec; N] {
    assert!(A + B == N && A > 0);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A { a[i] } else { b[i - A] };
        i += 1;
    }
    out
}

/// `crossover`: an operator name.
struct CrossoverName(Crossover);

impl FromStr for CrossoverName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Crossover::named(s).map(CrossoverName).ok_or_else(|| invalid("crossover", format!("unknown crossover '{s}'")))
    }
}

/// `mutation`: `uniform` or `polynomial` (its eta set apart).
struct MutationName(bool);

impl FromStr for MutationName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "uniform" => Ok(MutationName(false)),
            "polynomial" => Ok(MutationName(true)),
            other => Err(invalid("mutation", format!("unknown mutation '{other}'"))),
        }
    }
}

/// The crossover the options describe: the named operator with the
/// parameters given for it; a parameter of another operator is an error
/// naming it, not silently ignored.
fn crossover_of(o: &OptionSet<'_>) -> Result<Crossover> {
    let mut crossover = o.word::<CrossoverName>("crossover")?.map_or(Crossover::Uniform, |c| c.0);
    let takes: &[&str] = match crossover {
        Crossover::Uniform => &[],
        Crossover::BlxAlpha { .. } => &["alpha"],
        Crossover::Sbx { .. } | Crossover::Vsbx { .. } => &["eta", "uniform_crossover_prob", "use_child_gene_prob"],
        Crossover::Undx { .. } => &["sigma_xi", "sigma_eta"],
        Crossover::Spx { .. } => &["epsilon"],
    };
    // Each operator's own options, and the operators they belong to.
    let owners = [
        ("alpha", "\"blxalpha\""),
        ("eta", "\"sbx\" or \"vsbx\""),
        ("uniform_crossover_prob", "\"sbx\" or \"vsbx\""),
        ("use_child_gene_prob", "\"sbx\" or \"vsbx\""),
        ("sigma_xi", "\"undx\""),
        ("sigma_eta", "\"undx\""),
        ("epsilon", "\"spx\""),
    ];
    for (name, owner) in owners {
        if o.has(name) && !takes.contains(&name) {
            return Err(invalid(
                name,
                format!(
                    "{} crossover takes no {name} (it takes {}); {name} is for crossover = {owner}",
                    crossover.name(),
                    if takes.is_empty() { "no options".to_owned() } else { takes.join(", ") }
                ),
            ));
        }
    }
    match &mut crossover {
        Crossover::Uniform => {}
        Crossover::BlxAlpha { alpha } => *alpha = o.number("alpha")?.unwrap_or(*alpha),
        Crossover::Sbx { eta, uniform_crossover_prob, use_child_gene_prob }
        | Crossover::Vsbx { eta, uniform_crossover_prob, use_child_gene_prob } => {
            *eta = o.number("eta")?.or(*eta);
            *uniform_crossover_prob = o.number("uniform_crossover_prob")?.unwrap_or(*uniform_crossover_prob);
            *use_child_gene_prob = o.number("use_child_gene_prob")?.unwrap_or(*use_child_gene_prob);
        }
        Crossover::Undx { sigma_xi, sigma_eta } => {
            *sigma_xi = o.number("sigma_xi")?.unwrap_or(*sigma_xi);
            *sigma_eta = o.number("sigma_eta")?.or(*sigma_eta);
        }
        Crossover::Spx { epsilon } => *epsilon = o.number("epsilon")?.or(*epsilon),
    }
    // Name the option a bad value came from.
    crossover.check().map_err(|message| {
        let option = message.split_whitespace().next().unwrap_or("crossover").to_owned();
        invalid(&option, message)
    })?;
    Ok(crossover)
}

/// The options NSGA-II and NSGA-III share, set on either's builder.
fn genetic_builder<C: SurvivorCut + Default>(o: &OptionSet<'_>) -> Result<GeneticSamplerBuilder<C>> {
    let mut b = GeneticSampler::<C>::builder().crossover(crossover_of(o)?);
    if let Some(seed) = o.seed()? {
        b = b.seed(seed);
    }
    if let Some(n) = o.count("population_size")? {
        b = b.population_size(n);
    }
    if let Some(p) = o.number("crossover_prob")? {
        b = b.crossover_prob(p);
    }
    if let Some(p) = o.number("swapping_prob")? {
        b = b.swapping_prob(p);
    }
    if let Some(p) = o.number("mutation_prob")? {
        b = b.mutation_prob(p);
    }
    let polynomial = o.word::<MutationName>("mutation")?.is_some_and(|m| m.0);
    match (polynomial, o.number("mutation_eta")?) {
        (true, eta) => b = b.mutation(Mutation::Polynomial { eta: eta.unwrap_or(20.0) }),
        (false, Some(_)) => {
            return Err(invalid("mutation_eta", "is polynomial mutation's; give mutation = \"polynomial\" with it"))
        }
        (false, None) => {}
    }
    Ok(b)
}

fn build_nsga2(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let sampler: Nsga2Sampler = genetic_builder(o)?.build()?;
    Ok(Arc::new(sampler))
}

fn build_nsga3(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let mut b = genetic_builder(o)?;
    if let Some(points) = o.number_rows("reference_points")? {
        b = b.reference_points(points);
    }
    if let Some(n) = o.count("dividing_parameter")? {
        b = b.dividing_parameter(n);
    }
    let sampler: Nsga3Sampler = b.build()?;
    Ok(Arc::new(sampler))
}

/// NSGA-II.
pub static NSGA2: SamplerSpec = ComponentSpec {
    name: "nsga2",
    aliases: &[],
    python: "NSGAIISampler",
    summary: "NSGA-II, a genetic algorithm for one or several objectives: generations of population_size \
              trials, parents by non-domination rank and crowding distance, crossover and mutation, \
              constraints from trial.set_constraint; workers and resumed studies rebuild the same generations.",
    options: NSGA2_OPTIONS,
    build: build_nsga2,
};

/// NSGA-III.
pub static NSGA3: SamplerSpec = ComponentSpec {
    name: "nsga3",
    aliases: &[],
    python: "NSGAIIISampler",
    summary: "NSGA-III, NSGA-II for three objectives and more: the last front's survivors chosen by niching on \
              reference points (Das-Dennis, or given) in the normalized objective space rather than by crowding \
              distance; NSGA-II's options, generations and constraints otherwise.",
    options: NSGA3_OPTIONS,
    build: build_nsga3,
};

// ---- QMC ----

const QMC_OPTIONS: &[OptionSpec] = &[
    SEED,
    OptionSpec {
        name: "qmc_type",
        kind: OptionKind::Word(&["sobol", "halton"]),
        default: "\"sobol\"",
        help: "The low-discrepancy sequence.",
    },
    OptionSpec {
        name: "scramble",
        kind: OptionKind::Flag,
        default: "true",
        help: "Owen scrambling (always on for Sobol).",
    },
];

fn build_qmc(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let sampler = o.seed()?.map_or_else(QmcSampler::new, QmcSampler::with_seed);
    let sampler = sampler.kind(o.word("qmc_type")?.unwrap_or(QmcKind::Sobol));
    let sampler = sampler.scramble(o.flag("scramble")?.unwrap_or(true)).map_err(|e| invalid("scramble", e))?;
    Ok(Arc::new(sampler))
}

/// Quasi-Monte Carlo points.
pub static QMC: SamplerSpec = ComponentSpec {
    name: "qmc",
    aliases: &[],
    python: "QMCSampler",
    summary: "Quasi-Monte Carlo points (scrambled Sobol or Halton) that cover the space evenly: 2^m trials \
              put one point in every 2^-m slice of each parameter's range.",
    options: QMC_OPTIONS,
    build: build_qmc,
};

// ---- Random ----

fn build_random(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    Ok(Arc::new(o.seed()?.map_or_else(RandomSampler::new, RandomSampler::with_seed)))
}

/// Random search.
pub static RANDOM: SamplerSpec = ComponentSpec {
    name: "random",
    aliases: &[],
    python: "RandomSampler",
    summary: "Independent uniform sampling (log-uniform for log parameters).",
    options: &[SEED],
    build: build_random,
};

// ---- Grid ----

/// The most values a grid lists for one parameter by itself.
const MAX_GRID_VALUES: i128 = 10_000;

/// All values of a finite distribution, if it is small enough to list;
/// otherwise why not.
pub fn enumerate(d: &Distribution) -> std::result::Result<Vec<ParamValue>, String> {
    let too_many = |n: String| {
        Err(format!("it has {n} values, too many for a grid (at most {MAX_GRID_VALUES}); list the grid values here"))
    };
    match d {
        Distribution::Categorical(c) => Ok(c.choices().to_vec()),
        Distribution::Int(i) => {
            // In i128: the full i64 range has 2^64 values.
            let (low, step) = (i128::from(i.low()), i128::from(i.step().max(1)));
            let last = (i128::from(i.high()) - low) / step;
            if last >= MAX_GRID_VALUES {
                return too_many((last + 1).to_string());
            }
            Ok((0..=last).filter_map(|k| i64::try_from(low + k * step).ok()).map(ParamValue::Int).collect())
        }
        Distribution::Float(f) => {
            let Some(step) = f.step() else {
                return Err("it is a continuous float; list the grid values here".into());
            };
            let n = ((f.high() - f.low()) / step).round();
            if !(n.is_finite() && n < MAX_GRID_VALUES as f64) {
                return too_many(format!("{}", n + 1.0));
            }
            Ok((0..=n as i64).map(|k| ParamValue::Float(f.round_to_grid(f.low() + k as f64 * step))).collect())
        }
    }
}

const GRID_OPTIONS: &[OptionSpec] = &[
    SEED,
    OptionSpec {
        name: "values",
        kind: OptionKind::ParamLists,
        default: "every value of each int, categorical or stepped float parameter",
        help: "The grid: a list of values per parameter (Python: the search_space argument).",
    },
];

fn build_grid(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let mut grid = o.param_lists("values")?.unwrap_or_default();
    // With a declared search space, parameters left out are listed whole.
    for (name, distribution) in o.search_space().unwrap_or_default() {
        if !grid.contains_key(name) {
            let values = enumerate(distribution).map_err(|why| {
                invalid(&format!("values.{name}"), format!("missing, and '{name}' cannot be listed: {why}"))
            })?;
            grid.insert(name.clone(), values);
        }
    }
    let sampler = match o.seed()? {
        Some(seed) => GridSampler::with_seed(grid, seed)?,
        None => GridSampler::new(grid)?,
    };
    Ok(Arc::new(sampler))
}

/// Grid search.
pub static GRID: SamplerSpec = ComponentSpec {
    name: "grid",
    aliases: &[],
    python: "GridSampler",
    summary: "Each point of a grid exactly once, in a shuffled order, even across processes; the study \
              stops when the grid is exhausted.",
    options: GRID_OPTIONS,
    build: build_grid,
};

// ---- Brute force ----

fn build_brute_force(o: &OptionSet<'_>) -> Result<Arc<dyn Sampler>> {
    let sampler = o.seed()?.map_or_else(BruteForceSampler::new, BruteForceSampler::with_seed);
    Ok(Arc::new(sampler.avoid_premature_stop(o.flag("avoid_premature_stop")?.unwrap_or(false))))
}

/// Brute force over a define-by-run space.
pub static BRUTE_FORCE: SamplerSpec = ComponentSpec {
    name: "brute_force",
    aliases: &[],
    python: "BruteForceSampler",
    summary: "Every combination of ints, categoricals and stepped floats once, conditional parameters included \
              (the space is read off the trials, no grid to list); the study stops when all have been tried. \
              A float without a step is an error.",
    options: &[
        SEED,
        OptionSpec {
            name: "avoid_premature_stop",
            kind: OptionKind::Flag,
            default: "false",
            help: "Stop only once every combination has finished, not when the rest are running in other \
                   workers (which may then be repeated).",
        },
    ],
    build: build_brute_force,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotune_core::options::OptionValue;

    #[test]
    fn every_sampler_builds_with_its_defaults_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for spec in SAMPLERS {
            assert!(names.insert(spec.name), "{} twice", spec.name);
            if spec.name != "grid" {
                assert!(spec.build(BTreeMap::new(), None).is_ok(), "{}", spec.name);
            }
            assert!(spec.option("seed").is_some(), "{} takes a seed", spec.name);
        }
    }

    #[test]
    fn bad_options_are_named() {
        let build = |spec: &SamplerSpec, key: &str, value: OptionValue| {
            spec.build(BTreeMap::from([(key.to_owned(), value)]), None).err().map(|e| e.to_string()).unwrap_or_default()
        };
        let e = build(&TPE, "gama", OptionValue::Float(0.2));
        assert!(e.contains("'gama'") && e.contains("gamma"), "{e}");
        let e = build(&TPE, "gamma", OptionValue::Float(1.5));
        assert!(e.contains("'gamma'") && e.contains("(0, 1]"), "{e}");
        let e = build(&CMAES, "restart_strategy", OptionValue::Str("lipop".into()));
        assert!(e.contains("\"ipop\", \"bipop\" or \"none\""), "{e}");
        let e = build(&NSGA2, "crossover", OptionValue::Str("pmx".into()));
        assert!(e.contains("\"undx\", \"spx\"") || e.contains("\"spx\""), "{e}");
        let e = build(&NSGA2, "eta", OptionValue::Float(5.0));
        assert!(e.contains("'eta'") && e.contains("uniform crossover takes no eta"), "{e}");
        assert!(e.contains("eta is for crossover = \"sbx\" or \"vsbx\""), "{e}");
        let sbx = |key: &str, value: OptionValue| {
            let options =
                BTreeMap::from([("crossover".to_owned(), OptionValue::Str("sbx".into())), (key.to_owned(), value)]);
            NSGA2.build(options, None).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert_eq!(sbx("eta", OptionValue::Float(5.0)), "");
        let e = sbx("use_child_gene_prob", OptionValue::Float(0.0));
        assert!(e.contains("'use_child_gene_prob'") && e.contains("(0, 1]"), "{e}");
        let e = build(&NSGA2, "mutation_eta", OptionValue::Float(5.0));
        assert!(e.contains("'mutation_eta'") && e.contains("polynomial"), "{e}");
        let e = build(&NSGA2, "population_size", OptionValue::Int(1));
        assert!(e.contains("population_size"), "{e}");
        let e = build(&NSGA3, "population_size", OptionValue::Int(1));
        assert!(e.contains("'population_size'"), "{e}");
        let e = build(&NSGA3, "dividing_parameter", OptionValue::Int(0));
        assert!(e.contains("'dividing_parameter'") && e.contains("at least 1"), "{e}");
        let row = |v: &[f64]| OptionValue::List(v.iter().map(|&x| OptionValue::Float(x)).collect());
        let e = build(&NSGA3, "reference_points", OptionValue::List(vec![row(&[1.0, 0.0]), row(&[1.0])]));
        assert!(e.contains("'reference_points'") && e.contains("row 1 has 1 number,"), "{e}");
        let e = build(&NSGA3, "reference_points", OptionValue::List(vec![OptionValue::Float(1.0)]));
        assert!(e.contains("'reference_points'") && e.contains("row 0 must be a list"), "{e}");
        let e = build(&NSGA3, "reference_points", OptionValue::Str("das-dennis".into()));
        assert!(e.contains("'reference_points'") && e.contains("list of rows"), "{e}");
        let words = OptionValue::List(vec![OptionValue::List(vec![OptionValue::Str("a".into())])]);
        assert!(build(&NSGA3, "reference_points", words).contains("numbers only"));
        let ints = OptionValue::List(vec![OptionValue::List(vec![OptionValue::Int(1), OptionValue::Int(0)])]);
        assert_eq!(build(&NSGA3, "reference_points", ints), "");
        let e = build(&GP, "output_transform", OptionValue::Str("boxcox".into()));
        assert!(e.contains("\"standardize\", \"robust\" or \"power\""), "{e}");
        let both = BTreeMap::from([
            ("robust_output".to_owned(), OptionValue::Bool(true)),
            ("output_transform".to_owned(), OptionValue::Str("power".into())),
        ]);
        let e = GP.build(both, None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("'robust_output'") && e.contains("not both"), "{e}");
    }
}
