//! Every sampler against the sampler conformance suite
//! (`ferrotune::conformance`): values in their distributions, seeded
//! repetition, define-by-run and enqueued parameters, running, failed and
//! pruned trials in the history, several objectives, parallel workers.

mod random {
    use ferrotune::samplers::RandomSampler;

    ferrotune::sampler_conformance_tests!(RandomSampler::with_seed, learns = false);
}

mod grid {
    use ferrotune::conformance::covering_grid;
    use ferrotune::samplers::GridSampler;

    ferrotune::sampler_conformance_tests!(
        |seed| GridSampler::with_seed(covering_grid(), seed).unwrap(),
        finite = true,
        learns = false
    );
}

mod qmc_sobol {
    use ferrotune::samplers::{QmcKind, QmcSampler};

    ferrotune::sampler_conformance_tests!(|seed| QmcSampler::with_seed(seed).kind(QmcKind::Sobol), learns = false);
}

mod qmc_halton {
    use ferrotune::samplers::{QmcKind, QmcSampler};

    ferrotune::sampler_conformance_tests!(|seed| QmcSampler::with_seed(seed).kind(QmcKind::Halton), learns = false);
}

mod tpe {
    use ferrotune::samplers::TpeSampler;

    ferrotune::sampler_conformance_tests!(TpeSampler::with_seed);
}

mod tpe_optuna_defaults {
    use ferrotune::samplers::TpeSampler;

    ferrotune::sampler_conformance_tests!(|seed| TpeSampler::builder().seed(seed).optuna_defaults().build().unwrap());
}

mod tpe_univariate {
    use ferrotune::samplers::TpeSampler;

    ferrotune::sampler_conformance_tests!(|seed| TpeSampler::builder().seed(seed).multivariate(false).build().unwrap());
}

mod tpe_group {
    use ferrotune::samplers::TpeSampler;

    ferrotune::sampler_conformance_tests!(|seed| TpeSampler::builder()
        .seed(seed)
        .multivariate(true)
        .group(true)
        .build()
        .unwrap());
}

mod cmaes {
    use ferrotune::samplers::CmaEsSampler;

    ferrotune::sampler_conformance_tests!(CmaEsSampler::with_seed, multi_objective = false);
}

mod cmaes_with_margin {
    use ferrotune::samplers::CmaEsSampler;

    ferrotune::sampler_conformance_tests!(
        |seed| CmaEsSampler::builder().seed(seed).with_margin(true).build().unwrap(),
        multi_objective = false
    );
}

mod gp {
    use ferrotune::samplers::GpSampler;

    ferrotune::sampler_conformance_tests!(GpSampler::with_seed);
}

// NSGA-II with a population small enough that most of the suite's 30
// trials are bred, not drawn at random.
mod nsga2 {
    use ferrotune::samplers::Nsga2Sampler;

    ferrotune::sampler_conformance_tests!(|seed| Nsga2Sampler::builder()
        .seed(seed)
        .population_size(6)
        .build()
        .unwrap());
}

mod nsga2_sbx {
    use ferrotune::samplers::{Crossover, Nsga2Sampler};

    ferrotune::sampler_conformance_tests!(|seed| Nsga2Sampler::builder()
        .seed(seed)
        .population_size(6)
        .crossover(Crossover::named("sbx").unwrap())
        .build()
        .unwrap());
}

mod nsga2_undx_polynomial_mutation {
    use ferrotune::samplers::{Crossover, Mutation, Nsga2Sampler};

    ferrotune::sampler_conformance_tests!(|seed| Nsga2Sampler::builder()
        .seed(seed)
        .population_size(6)
        .crossover(Crossover::named("undx").unwrap())
        .mutation(Mutation::Polynomial { eta: 20.0 })
        .build()
        .unwrap());
}

/// Samplers broken on purpose, one way each, to show each check fails when
/// its part of the contract is broken (a check that cannot fail proves
/// nothing). Each wraps a seeded `RandomSampler`.
mod the_suite_catches {
    use std::sync::atomic::{AtomicU64, Ordering};

    use ferrotune::conformance::{self, Capabilities};
    use ferrotune::core::{Sampler, StudyView};
    use ferrotune::samplers::RandomSampler;
    use ferrotune::{Distribution, Error, FrozenTrial, Result, TrialState};

    #[derive(Clone, Copy)]
    enum Fault {
        /// Every value at its lower bound (the first choice).
        Stuck,
        /// Floats past their upper bound.
        OutOfRange,
        /// A fresh generator per call: no two studies alike.
        Unseeded,
        /// The seed given is ignored.
        SeedIgnored,
        /// The draw ignores the trial number: every trial alike.
        SameForEveryTrial,
        /// Fails every value of a multi-objective study (instead of refusing it).
        FailsSeveralObjectives,
        /// Errors once a failed or pruned trial is in the history.
        BrokenByFinishedTrials,
        /// Errors while another trial is running.
        BrokenByRunningTrials,
        /// Errors for a parameter some complete trial lacks.
        BrokenByConditionalParameters,
    }

    struct Faulty {
        fault: Fault,
        seed: u64,
    }

    static CALLS: AtomicU64 = AtomicU64::new(0);

    impl Sampler for Faulty {
        fn name(&self) -> &str {
            "faulty"
        }

        fn sample_independent(
            &self,
            study: &StudyView<'_>,
            trial: &FrozenTrial,
            name: &str,
            distribution: &Distribution,
        ) -> Result<f64> {
            let random = RandomSampler::with_seed(self.seed);
            let refuse = |why: &str| Err(Error::Sampler(why.into()));
            match (self.fault, distribution) {
                (Fault::Stuck, Distribution::Float(d)) => Ok(d.low()),
                (Fault::Stuck, Distribution::Int(d)) => Ok(d.low() as f64),
                (Fault::Stuck, Distribution::Categorical(_)) => Ok(0.0),
                (Fault::OutOfRange, Distribution::Float(d)) => Ok(d.high() + 1.0),
                (Fault::Unseeded, _) => RandomSampler::with_seed(CALLS.fetch_add(1, Ordering::Relaxed))
                    .sample_independent(study, trial, name, distribution),
                (Fault::SeedIgnored, _) => {
                    RandomSampler::with_seed(0).sample_independent(study, trial, name, distribution)
                }
                (Fault::SameForEveryTrial, _) => {
                    random.sample_independent(study, &FrozenTrial::builder(0).build(), name, distribution)
                }
                (Fault::FailsSeveralObjectives, _) if study.is_multi_objective() => refuse("two objectives"),
                (Fault::BrokenByFinishedTrials, _)
                    if study.trials.iter().any(|t| matches!(t.state, TrialState::Failed | TrialState::Pruned)) =>
                {
                    refuse("a failed or pruned trial")
                }
                (Fault::BrokenByRunningTrials, _)
                    if study.trials.iter().any(|t| t.state == TrialState::Running && t.number != trial.number) =>
                {
                    refuse("another trial is running")
                }
                (Fault::BrokenByConditionalParameters, _)
                    if study.trials_in(&[TrialState::Complete]).any(|t| !t.params.contains_key(name)) =>
                {
                    refuse("a parameter some trials lack")
                }
                _ => random.sample_independent(study, trial, name, distribution),
            }
        }
    }

    fn faulty(fault: Fault) -> impl Fn(u64) -> Faulty {
        move |seed| Faulty { fault, seed }
    }

    #[test]
    fn the_unbroken_wrapper_passes() {
        // The wrapper itself is sound: each fault below is the only problem.
        conformance::values_lie_in_their_distributions(faulty(Fault::FailsSeveralObjectives), &Capabilities::default());
        conformance::parallel_workers(faulty(Fault::BrokenByFinishedTrials), &Capabilities::default());
        conformance::enqueued_parameters_are_used_as_given(
            faulty(Fault::BrokenByConditionalParameters),
            &Capabilities::default(),
        );
    }

    #[test]
    #[should_panic(expected = "took only")]
    fn values_stuck_on_a_bound() {
        conformance::values_lie_in_their_distributions(faulty(Fault::Stuck), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn values_out_of_range() {
        conformance::values_lie_in_their_distributions(faulty(Fault::OutOfRange), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "max_trials()")]
    fn a_wrong_finite_flag() {
        let caps = Capabilities { finite: true, ..Capabilities::default() };
        conformance::values_lie_in_their_distributions(faulty(Fault::SeedIgnored), &caps);
    }

    #[test]
    #[should_panic(expected = "differs between two studies seeded alike")]
    fn an_unseeded_sampler() {
        conformance::seeded_study_repeats_exactly(faulty(Fault::Unseeded), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "seeds 7 and 8 gave the same study")]
    fn an_ignored_seed() {
        conformance::seeded_study_repeats_exactly(faulty(Fault::SeedIgnored), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "got the same parameters")]
    fn parallel_trials_sharing_a_draw() {
        conformance::parallel_workers(faulty(Fault::SameForEveryTrial), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "avoid the infinite region")]
    fn a_sampler_blind_to_infinite_losses() {
        // Random draws never learn that the loss is infinite beyond 0.5.
        conformance::infinite_values_are_the_worst(faulty(Fault::SeedIgnored), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "must refuse two objectives")]
    fn several_objectives_failed_silently() {
        let caps = Capabilities { multi_objective: false, ..Capabilities::default() };
        conformance::several_objectives(faulty(Fault::FailsSeveralObjectives), &caps);
    }

    #[test]
    #[should_panic(expected = "is failed")]
    fn several_objectives_not_sampled() {
        conformance::several_objectives(faulty(Fault::FailsSeveralObjectives), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "must refuse two objectives")]
    fn several_objectives_sampled_though_refusal_was_declared() {
        let caps = Capabilities { multi_objective: false, ..Capabilities::default() };
        conformance::several_objectives(faulty(Fault::Stuck), &caps);
    }

    #[test]
    #[should_panic(expected = "a failed or pruned trial")]
    fn a_history_of_failed_and_pruned_trials() {
        conformance::failed_and_pruned_trials_in_history(
            faulty(Fault::BrokenByFinishedTrials),
            &Capabilities::default(),
        );
    }

    #[test]
    #[should_panic(expected = "a parameter some trials lack")]
    fn conditional_parameters() {
        conformance::conditional_parameters(faulty(Fault::BrokenByConditionalParameters), &Capabilities::default());
    }

    #[test]
    #[should_panic(expected = "another trial is running")]
    fn running_trials() {
        conformance::running_trials_do_not_break_sampling(
            faulty(Fault::BrokenByRunningTrials),
            &Capabilities::default(),
        );
    }
}

// NSGA-III, with one objective as with two (its niching degenerates with
// one: every member on the one reference line).
mod nsga3 {
    use ferrotune::samplers::Nsga3Sampler;

    ferrotune::sampler_conformance_tests!(|seed| Nsga3Sampler::builder()
        .seed(seed)
        .population_size(6)
        .dividing_parameter(4)
        .build()
        .unwrap());
}

mod brute_force {
    use ferrotune::core::{Distribution, FrozenTrial, Result, Sampler, StudyView};
    use ferrotune::samplers::{BruteForceSampler, RandomSampler};

    /// Brute force on the suite's discrete parameters. Its continuous
    /// floats, which brute force refuses by design (the samplers crate
    /// tests that error), are drawn at random, so that every other check
    /// of the contract runs on brute force.
    struct DiscreteBruteForce {
        brute_force: BruteForceSampler,
        random: RandomSampler,
    }

    impl Sampler for DiscreteBruteForce {
        fn name(&self) -> &str {
            self.brute_force.name()
        }

        fn sample_independent(
            &self,
            study: &StudyView<'_>,
            trial: &FrozenTrial,
            name: &str,
            distribution: &Distribution,
        ) -> Result<f64> {
            match distribution {
                Distribution::Float(f) if f.step().is_none() => {
                    self.random.sample_independent(study, trial, name, distribution)
                }
                _ => self.brute_force.sample_independent(study, trial, name, distribution),
            }
        }

        fn is_exhaustive(&self) -> bool {
            self.brute_force.is_exhaustive()
        }

        fn is_exhausted(&self, study: &StudyView<'_>) -> Result<bool> {
            // A space with a continuous float is infinite: never exhausted
            // (brute force alone never gets this far, it refuses the float).
            let continuous = |d: &Distribution| matches!(d, Distribution::Float(f) if f.step().is_none());
            if study.trials.iter().any(|t| t.params.values().any(|p| continuous(&p.distribution))) {
                return Ok(false);
            }
            self.brute_force.is_exhausted(study)
        }
    }

    ferrotune::sampler_conformance_tests!(
        |seed| DiscreteBruteForce {
            brute_force: BruteForceSampler::with_seed(seed),
            random: RandomSampler::with_seed(seed)
        },
        learns = false
    );
}
