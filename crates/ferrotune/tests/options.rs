//! The option descriptions build the same samplers as the builders they
//! describe: a sampler configured through a face (a TOML table, Python
//! keywords) proposes what the Rust builder with the same settings does.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::options::OptionValue;
use ferrotune::core::Sampler;
use ferrotune::samplers::{sampler_spec, TpeSampler};
use ferrotune::Study;

fn proposals(sampler: Arc<dyn Sampler>) -> Vec<f64> {
    let study = Study::builder().sampler_arc(sampler).create().unwrap();
    study
        .optimize(26, |trial| {
            let x = trial.suggest_float("x", -3.0, 3.0)?;
            let y = trial.suggest_float("y", -3.0, 3.0)?;
            Ok(x * x + (y - 1.0) * (y - 1.0))
        })
        .unwrap();
    study.trials().unwrap().iter().flat_map(|t| t.params.values().map(|p| p.internal)).collect()
}

fn described(options: &[(&str, OptionValue)]) -> ferrotune::Result<Arc<dyn Sampler>> {
    let values: BTreeMap<String, OptionValue> = options.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    sampler_spec("tpe").unwrap().build(values, None)
}

#[test]
fn hyperopt_defaults_is_the_builders_hyperopt_settings() {
    let from_description =
        described(&[("seed", OptionValue::Int(4)), ("hyperopt_defaults", OptionValue::Bool(true))]).unwrap();
    let from_builder = Arc::new(TpeSampler::builder().hyperopt_settings().seed(4).build().unwrap());
    let plain = described(&[("seed", OptionValue::Int(4))]).unwrap();
    let expected = proposals(from_builder);
    assert_eq!(proposals(from_description), expected);
    // And it matters: the default sampler leaves its startup at trial 10.
    assert_ne!(proposals(plain), expected);
}

#[test]
fn optuna_and_hyperopt_defaults_together_are_refused() {
    let err =
        described(&[("optuna_defaults", OptionValue::Bool(true)), ("hyperopt_defaults", OptionValue::Bool(true))])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(err.contains("'hyperopt_defaults'") && err.contains("not both"), "{err}");
}
