//! `docs/options.md`, the options reference, is rendered from the engine's
//! descriptions of the samplers and pruners; this test fails when the file
//! is not what the descriptions render, so it cannot drift. Regenerate it
//! with `FERROTUNE_BLESS=1 cargo test -p ferrotune --test options_reference`.

use ferrotune::core::options::render_reference;

fn reference() -> String {
    let mut out = String::from(
        "# Options reference\n\n\
         Generated from the samplers' and pruners' descriptions in the engine (`crates/ferrotune-samplers/src/options.rs`, \
         `crates/ferrotune-pruners/src/options.rs`); do not edit by hand. Every option has the same name in a \
         config file's `[sampler]` / `[pruner]` table and as a keyword argument in Python, except the grid's \
         `values`, which is Python's `search_space` argument (Optuna's). Python keeps Optuna's required \
         arguments where the CLI has a default (PatientPruner's `patience`).\n\n",
    );
    let samplers: Vec<_> = ferrotune::samplers::SAMPLERS.to_vec();
    out.push_str(&render_reference("Samplers", "sampler", &samplers));
    let pruners: Vec<_> = ferrotune::pruners::PRUNERS.to_vec();
    out.push_str(&render_reference("Pruners", "pruner", &pruners));
    out
}

#[test]
fn the_options_reference_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/options.md");
    let rendered = reference();
    if std::env::var_os("FERROTUNE_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/options.md is out of date: run FERROTUNE_BLESS=1 cargo test -p ferrotune --test options_reference"
    );
}
