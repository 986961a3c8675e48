//! Every plot kind stays small at 100,000 trials: the data layer thins,
//! so no painter has to (Optuna's contour of 1,200 trials is a 70 MB page).

use std::sync::Arc;

use ferrotune_analysis::plot::{plot_data, PlotData, PlotKind, PlotOptions};
use ferrotune_core::{Distribution, FrozenTrial, StudyDirection, TrialState};

/// 100,000 trials of a 4-parameter study with learning curves, a tenth
/// pruned, two objectives (the second the first's opposite, with noise).
fn large_study() -> Vec<Arc<FrozenTrial>> {
    let x = Distribution::float(0.0, 1.0).unwrap();
    let choice = Distribution::categorical(["a", "b", "c"]).unwrap();
    let mut state = 7u64;
    let mut uniform = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..100_000u64)
        .map(|i| {
            let (a, b, c, k) = (uniform(), uniform(), uniform(), (uniform() * 3.0).floor());
            let loss = (a - 0.3).powi(2) + 0.1 * b + 0.01 * c + 0.05 * k;
            let mut t = FrozenTrial::builder(i)
                .param("a", &x, a)
                .param("b", &x, b)
                .param("c", &x, c)
                .param("k", &choice, k)
                .times_us(Some(i as i64 * 1000), Some(i as i64 * 1000 + 900));
            for step in 0..20 {
                t = t.intermediate(step, loss + 1.0 / (step + 1) as f64);
            }
            let t = if i % 10 == 3 { t.state(TrialState::Pruned) } else { t.values(&[loss, -loss + 0.1 * uniform()]) };
            Arc::new(t.build())
        })
        .collect()
}

#[test]
fn every_kind_stays_small_at_100k_trials() {
    let trials = large_study();
    let one = [StudyDirection::Minimize];
    let two = [StudyDirection::Minimize, StudyDirection::Minimize];
    let options = PlotOptions { seed: Some(0), ..PlotOptions::default() };
    for kind in PlotKind::ALL {
        let directions: &[StudyDirection] =
            if matches!(kind, PlotKind::ParetoFront | PlotKind::HypervolumeHistory) { &two } else { &one };
        let start = std::time::Instant::now();
        let data = plot_data(kind, &trials, directions, &options).unwrap();
        let json = serde_json::to_string(&data).unwrap();
        eprintln!("{kind:<22} {:>9} bytes  {:>7.2?}", json.len(), start.elapsed());
        assert!(json.len() < 2_000_000, "{kind}: {} bytes", json.len());
        // What was thinned says how much there was.
        match data {
            PlotData::OptimizationHistory(h) => assert!(h.n_total == 90_000 && h.points.len() <= 2001),
            PlotData::Slice(s) => assert!(s.panels.iter().all(|p| p.n_total == 90_000 && p.points.len() <= 2001)),
            PlotData::Contour(c) => assert!(c.panels.len() == 6 && c.panels.iter().all(|p| p.points.len() <= 2001)),
            PlotData::ParallelCoordinate(p) => assert!(p.n_total == 90_000 && p.lines.len() <= 2000),
            PlotData::IntermediateValues(iv) => assert!(iv.n_total == 100_000 && iv.curves.len() <= 201),
            PlotData::Timeline(t) => assert!(t.n_total == 100_000 && t.n_rows <= 2000 && t.bars.len() <= 4000),
            PlotData::Edf(e) => assert!(e.n_total == 90_000 && e.points.len() <= 2000),
            PlotData::Rank(r) => assert!(r.n_total == 90_000 && r.points.len() <= 2001),
            PlotData::ParetoFront(p) => assert!(p.n_total == 90_000 && p.points.len() <= 2000 + p.n_front),
            PlotData::HypervolumeHistory(h) => assert!(h.n_total == 90_000 && !h.points.is_empty()),
            PlotData::ParamImportances(i) => assert_eq!(i.sets[0].importances[0].0, "a"),
        }
    }
}
