//! Readable at 100,000 trials (issue 20): every kind's picture of a large
//! study stays a file a browser opens at once, with at most the data
//! layer's limit of marks and a note of how many trials they stand for.

use std::sync::Arc;

use ferrotune_analysis::plot::{plot_data, PlotKind, PlotOptions};
use ferrotune_core::{Distribution, FloatDistribution, FrozenTrial, StudyDirection, TrialState};
use ferrotune_plot::{render, OutputFormat, RenderOptions};

/// 100,000 trials over four parameters with short learning curves, a
/// tenth pruned, two objectives.
fn large_study() -> Vec<Arc<FrozenTrial>> {
    let x = Distribution::float(0.0, 1.0).unwrap();
    let lr = Distribution::Float(FloatDistribution::new(1e-5, 1e-1, true, None).unwrap());
    let choice = Distribution::categorical(["adam", "sgd", "rmsprop"]).unwrap();
    let mut state = 11u64;
    let mut uniform = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..100_000u64)
        .map(|i| {
            let (a, b, k) = (uniform(), 10f64.powf(-5.0 + 4.0 * uniform()), (uniform() * 3.0).floor());
            let loss = (a - 0.3).powi(2) + 0.1 * (b.log10() + 3.0).abs() + 0.05 * k + 0.01;
            let mut t = FrozenTrial::builder(i)
                .param("a", &x, a)
                .param("lr", &lr, b)
                .param("optimizer", &choice, k)
                .times_us(Some(i as i64 * 1000), Some(i as i64 * 1000 + 900));
            for step in 0..5 {
                t = t.intermediate(step, loss + 1.0 / (step + 1) as f64);
            }
            let t = if i % 10 == 3 { t.state(TrialState::Pruned) } else { t.values(&[loss, -loss + 0.1 * uniform()]) };
            Arc::new(t.build())
        })
        .collect()
}

fn count(svg: &str, class: &str) -> usize {
    svg.matches(&format!("class=\"{class}\"")).count()
}

#[test]
fn every_kind_stays_readable_at_100k_trials() {
    let trials = large_study();
    let one = [StudyDirection::Minimize];
    let two = [StudyDirection::Minimize, StudyDirection::Minimize];
    let options = PlotOptions { seed: Some(0), ..PlotOptions::default() };
    for kind in PlotKind::ALL {
        let directions: &[StudyDirection] =
            if matches!(kind, PlotKind::ParetoFront | PlotKind::HypervolumeHistory) { &two } else { &one };
        let data = plot_data(kind, &trials, directions, &options).unwrap();
        let start = std::time::Instant::now();
        let svg = String::from_utf8(render(&data, OutputFormat::Svg, &RenderOptions::default()).unwrap()).unwrap();
        eprintln!("{kind:<22} {:>9} bytes  {:>7.2?}", svg.len(), start.elapsed());
        assert!(svg.len() < 3_000_000, "{kind}: {} bytes", svg.len());
        // To look at them: FERROTUNE_PLOT_DUMP=/some/dir cargo test -p ferrotune-plot --test large
        if let Some(dir) = std::env::var_os("FERROTUNE_PLOT_DUMP") {
            let png = render(&data, OutputFormat::Png, &RenderOptions::default());
            std::fs::write(std::path::Path::new(&dir).join(format!("{kind}.png")), png.unwrap_or_default()).unwrap();
        }
        let marks = ["point", "line", "curve", "bar"].iter().map(|c| count(&svg, c)).max().unwrap_or(0);
        // Three panels of points at most (slice, contour and rank over three parameters).
        assert!(marks <= 3 * 2001 + 1, "{kind}: {marks} marks");
        match kind {
            PlotKind::OptimizationHistory
            | PlotKind::ParallelCoordinate
            | PlotKind::Slice
            | PlotKind::Contour
            | PlotKind::Rank
            | PlotKind::ParetoFront => {
                assert!(svg.contains(" of 90,000 trials"), "{kind}: no thinning note");
                assert_eq!(count(&svg, "best") > 0, kind != PlotKind::ParetoFront, "{kind}: best marker");
            }
            PlotKind::Timeline | PlotKind::IntermediateValues => {
                assert!(svg.contains(" of 100,000 trials"), "{kind}: no thinning note")
            }
            _ => {}
        }
    }
}
