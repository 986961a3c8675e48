use std::sync::Arc;

use ferrotune_core::{Distribution, FrozenTrial, StudyDirection, TrialState};
use ferrotune_core::{FloatDistribution, IntDistribution};

use super::*;
use StudyDirection::{Maximize, Minimize};

fn x_dist() -> Distribution {
    Distribution::float(-5.0, 5.0).unwrap()
}
fn lr_dist() -> Distribution {
    Distribution::Float(FloatDistribution::new(1e-5, 1.0, true, None).unwrap())
}
fn layers_dist() -> Distribution {
    Distribution::Int(IntDistribution::new(1, 8, false, 1).unwrap())
}
fn opt_dist() -> Distribution {
    Distribution::categorical(["adam", "sgd", "rmsprop"]).unwrap()
}

/// A trial with x, lr, layers and optimizer, valued 10 x^2 + layers.
fn trial(number: u64, x: f64, lr: f64, layers: i64, opt: usize) -> Arc<FrozenTrial> {
    Arc::new(
        FrozenTrial::builder(number)
            .param("x", &x_dist(), x)
            .param("lr", &lr_dist(), lr)
            .param("layers", &layers_dist(), layers as f64)
            .param("optimizer", &opt_dist(), opt as f64)
            .value(10.0 * x * x + layers as f64)
            .build(),
    )
}

/// 40 trials on a grid of values, deterministic.
fn study() -> Vec<Arc<FrozenTrial>> {
    (0..40u64)
        .map(|i| {
            let x = -4.0 + 8.0 * ((i * 7) % 40) as f64 / 39.0;
            trial(i, x, 10f64.powf(-5.0 + 5.0 * ((i * 3) % 40) as f64 / 39.0), 1 + (i % 8) as i64, (i % 3) as usize)
        })
        .collect()
}

fn data(kind: PlotKind, trials: &[Arc<FrozenTrial>], directions: &[StudyDirection], options: &PlotOptions) -> PlotData {
    plot_data(kind, trials, directions, options).unwrap()
}

fn best_number(trials: &[Arc<FrozenTrial>], direction: StudyDirection) -> u64 {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Complete && t.is_feasible())
        .map(|t| (t.number, t.values.as_ref().unwrap()[0]))
        .reduce(|a, b| if direction.is_better(b.1, a.1) { b } else { a })
        .unwrap()
        .0
}

#[test]
fn kinds_parse_by_every_name_and_unknown_ones_list_the_kinds() {
    for kind in PlotKind::ALL {
        assert_eq!(kind.name().parse::<PlotKind>().unwrap(), kind);
        let optuna = format!("plot_{}", kind.name().replace('-', "_"));
        assert_eq!(optuna.parse::<PlotKind>().unwrap(), kind, "{optuna}");
    }
    assert_eq!("history".parse::<PlotKind>().unwrap(), PlotKind::OptimizationHistory);
    let err = "histogram".parse::<PlotKind>().unwrap_err().to_string();
    assert!(err.contains("'histogram'") && err.contains("optimization-history") && err.contains("timeline"), "{err}");
    assert_eq!("fANOVA".parse::<ImportanceEvaluator>().unwrap(), ImportanceEvaluator::Fanova);
    assert!("shap".parse::<ImportanceEvaluator>().is_err());
}

#[test]
fn history_has_every_complete_trial_and_a_best_so_far_line_that_ignores_infeasible_trials() {
    let mut trials = study();
    // A failed trial, a pruned one and an infeasible one better than all.
    trials.push(Arc::new(FrozenTrial::builder(40).state(TrialState::Failed).build()));
    trials.push(Arc::new(FrozenTrial::builder(41).state(TrialState::Pruned).value(-100.0).build()));
    trials.push(Arc::new(FrozenTrial::builder(42).value(-50.0).constraint("c", 1.0).build()));
    let PlotData::OptimizationHistory(h) =
        data(PlotKind::OptimizationHistory, &trials, &[Minimize], &PlotOptions::default())
    else {
        panic!()
    };
    assert_eq!(h.n_total, 41);
    assert_eq!(h.points.len(), 41);
    assert!(!h.points.iter().find(|p| p.number == 42).unwrap().feasible);
    let best = best_number(&trials[..40], Minimize);
    assert_eq!(h.best_trial.unwrap().number, best);
    // The line never rises, ends at the last trial, and its values are the running minimum of feasible trials.
    assert!(h.best.windows(2).all(|w| w[1].value <= w[0].value && w[1].number > w[0].number));
    assert_eq!(h.best.last().unwrap().number, 42);
    let mut running = f64::INFINITY;
    for t in &trials[..40] {
        let v = t.values.as_ref().unwrap()[0];
        if v < running {
            running = v;
            assert!(h.best.iter().any(|b| b.number == t.number && b.value == v), "trial {} improved", t.number);
        }
    }
    assert_eq!(h.best.last().unwrap().value, running);
    assert_eq!(h.target_name, "Objective Value");
}

#[test]
fn maximizing_flips_the_best_and_a_target_replaces_the_value() {
    let trials = study();
    let PlotData::OptimizationHistory(h) =
        data(PlotKind::OptimizationHistory, &trials, &[Maximize], &PlotOptions::default())
    else {
        panic!()
    };
    assert_eq!(h.best_trial.unwrap().number, best_number(&trials, Maximize));
    let options = PlotOptions {
        target: Some(Arc::new(|t: &FrozenTrial| t.params["layers"].internal)),
        target_name: Some("layers".into()),
        ..PlotOptions::default()
    };
    let PlotData::OptimizationHistory(h) = data(PlotKind::OptimizationHistory, &trials, &[Minimize], &options) else {
        panic!()
    };
    assert_eq!(h.target_name, "layers");
    assert_eq!(h.best_trial.unwrap().value, 1.0);
    assert_eq!(h.best_trial.unwrap().number, 0);
}

#[test]
fn several_objectives_need_a_target_except_for_their_own_kinds() {
    let trials: Vec<_> =
        (0..5).map(|i| Arc::new(FrozenTrial::builder(i).values(&[i as f64, -(i as f64)]).build())).collect();
    let err = plot_data(PlotKind::OptimizationHistory, &trials, &[Minimize, Minimize], &PlotOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 objectives") && err.contains("target"), "{err}");
    let one = PlotOptions {
        target: Some(Arc::new(|t: &FrozenTrial| t.values.as_ref().unwrap()[1])),
        ..PlotOptions::default()
    };
    let PlotData::OptimizationHistory(h) = data(PlotKind::OptimizationHistory, &trials, &[Minimize, Minimize], &one)
    else {
        panic!()
    };
    // No direction for a target of a multi-objective study: no best line.
    assert!(h.best.is_empty() && h.best_trial.is_none() && h.points.len() == 5);
    let err = plot_data(PlotKind::ParetoFront, &study(), &[Minimize], &PlotOptions::default()).unwrap_err().to_string();
    assert!(err.contains("two objectives"), "{err}");
}

#[test]
fn thinning_keeps_the_limit_the_best_trial_and_the_envelope() {
    let trials: Vec<_> = (0..5000u64)
        .map(|i| {
            let v = ((i * 7919) % 5000) as f64 + if i == 3333 { -1e6 } else { 0.0 };
            Arc::new(FrozenTrial::builder(i).value(v).build())
        })
        .collect();
    let options = PlotOptions { max_points: 200, ..PlotOptions::default() };
    let PlotData::OptimizationHistory(h) = data(PlotKind::OptimizationHistory, &trials, &[Maximize], &options) else {
        panic!()
    };
    assert_eq!(h.n_total, 5000);
    assert!(h.points.len() <= 201, "{}", h.points.len());
    assert!(h.points.iter().any(|p| p.number == 3333), "the lowest spike survives");
    let best = best_number(&trials, Maximize);
    assert!(h.points.iter().any(|p| p.number == best));
    assert!(h.best.len() <= 200);
    let PlotData::Edf(e) = data(PlotKind::Edf, &trials, &[Maximize], &options) else { panic!() };
    assert!(e.points.len() <= 200 && e.n_total == 5000);
    let lowest = ((3333u64 * 7919) % 5000) as f64 - 1e6;
    assert_eq!(e.points[0], (lowest, 1.0 / 5000.0));
    assert_eq!(e.points.last().unwrap().1, 1.0);
}

#[test]
fn edf_is_the_fraction_at_or_below_each_value() {
    let trials: Vec<_> = [3.0, 1.0, 2.0, 2.0]
        .iter()
        .enumerate()
        .map(|(i, &v)| Arc::new(FrozenTrial::builder(i as u64).value(v).build()))
        .collect();
    let PlotData::Edf(e) = data(PlotKind::Edf, &trials, &[Minimize], &PlotOptions::default()) else { panic!() };
    assert_eq!(e.points, vec![(1.0, 0.25), (2.0, 0.75), (3.0, 1.0)]);
}

#[test]
fn axes_follow_the_distributions() {
    let trials = study();
    let PlotData::Slice(s) = data(PlotKind::Slice, &trials, &[Minimize], &PlotOptions::default()) else { panic!() };
    let names: Vec<&str> = s.panels.iter().map(|p| p.axis.name()).collect();
    assert_eq!(names, ["layers", "lr", "optimizer", "x"]);
    match &s.panels[1].axis {
        ParamAxis::Numeric { log, int, min, max, .. } => {
            assert!(*log && !*int);
            assert!((*min - 1e-5).abs() < 1e-12 && (*max - 1.0).abs() < 1e-9, "{min} {max}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&s.panels[0].axis, ParamAxis::Numeric { int: true, log: false, min, max, .. } if *min == 1.0 && *max == 8.0)
    );
    assert!(
        matches!(&s.panels[2].axis, ParamAxis::Categorical { labels, .. } if labels == &["adam", "sgd", "rmsprop"])
    );
    assert!(s.panels.iter().all(|p| p.points.len() == 40 && p.n_total == 40));
    // A categorical point's coordinate is its choice's index.
    let sgd = s.panels[2].points.iter().find(|p| p.number == 1).unwrap();
    assert_eq!(sgd.x, 1.0);
    assert_eq!(s.best_trial, Some(best_number(&trials, Minimize)));
}

#[test]
fn parallel_coordinates_keep_trials_with_every_parameter_best_last() {
    let mut trials = study();
    // A trial without `optimizer` (a conditional parameter) is left out.
    trials.push(Arc::new(FrozenTrial::builder(40).param("x", &x_dist(), 0.0).value(-1.0).build()));
    let PlotData::ParallelCoordinate(p) =
        data(PlotKind::ParallelCoordinate, &trials, &[Minimize], &PlotOptions::default())
    else {
        panic!()
    };
    assert_eq!(p.lines.len(), 40);
    assert_eq!(p.n_total, 40);
    assert_eq!(p.lines.last().unwrap().number, best_number(&trials[..40], Minimize));
    assert!(p.lines.windows(2).all(|w| w[0].value >= w[1].value));
    assert!(p.lines.iter().all(|l| l.coords.len() == 4 && l.coords.iter().all(|c| c.is_finite())));
    // Asked for x only: the extra trial counts too.
    let options = PlotOptions { params: Some(vec!["x".into()]), ..PlotOptions::default() };
    let PlotData::ParallelCoordinate(p) = data(PlotKind::ParallelCoordinate, &trials, &[Minimize], &options) else {
        panic!()
    };
    assert_eq!(p.lines.len(), 41);
    let err = plot_data(
        PlotKind::ParallelCoordinate,
        &trials,
        &[Minimize],
        &PlotOptions { params: Some(vec!["momentum".into()]), ..PlotOptions::default() },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("momentum") && err.contains("layers, lr, optimizer, x"), "{err}");
}

#[test]
fn contour_cells_hold_their_trials_mean_and_fill_between() {
    // Four trials at the corners of x and layers.
    let mk = |n: u64, x: f64, layers: i64, v: f64| {
        Arc::new(
            FrozenTrial::builder(n)
                .param("x", &x_dist(), x)
                .param("layers", &layers_dist(), layers as f64)
                .value(v)
                .build(),
        )
    };
    let trials =
        vec![mk(0, -5.0, 1, 1.0), mk(1, 5.0, 1, 2.0), mk(2, -5.0, 8, 3.0), mk(3, 5.0, 8, 4.0), mk(4, 5.0, 8, 6.0)];
    let options = PlotOptions { grid_size: 4, ..PlotOptions::default() };
    let PlotData::Contour(c) = data(PlotKind::Contour, &trials, &[Minimize], &options) else { panic!() };
    assert_eq!(c.panels.len(), 1);
    let panel = &c.panels[0];
    // Params sorted by name: layers is x, x is y.
    assert_eq!((panel.x.name(), panel.y.name()), ("layers", "x"));
    assert_eq!(panel.grid_x.len(), 4);
    let z = |col: usize, row: usize| panel.z[row * 4 + col].unwrap();
    assert_eq!(z(0, 0), 1.0);
    assert_eq!(z(3, 0), 3.0);
    assert_eq!(z(0, 3), 2.0);
    assert_eq!(z(3, 3), 5.0, "the mean of the two trials in the cell");
    // Cell (1, 1) is 2, 5, 5 and 8 squared cells from the corners.
    let centre = z(1, 1);
    let weights = [1.0 / 2.0, 1.0 / 5.0, 1.0 / 5.0, 1.0 / 8.0];
    let expected =
        (weights[0] * 1.0 + weights[1] * 3.0 + weights[2] * 2.0 + weights[3] * 5.0) / weights.iter().sum::<f64>();
    assert!((centre - expected).abs() < 1e-12, "{centre} {expected}");
    assert_eq!(panel.best.unwrap().number, 0);
    assert_eq!(c.value_range, (1.0, 6.0));
    // Every pair of four parameters: six panels.
    let PlotData::Contour(c) = data(PlotKind::Contour, &study(), &[Minimize], &PlotOptions::default()) else {
        panic!()
    };
    assert_eq!(c.panels.len(), 6);
    // An int parameter with fewer values than cells gets a cell per value.
    assert_eq!(c.panels[0].x.name(), "layers");
    assert_eq!(c.panels[0].grid_x, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    assert_eq!(c.panels[0].grid_y.len(), 40);
    assert!(c.panels.iter().all(|p| p.z.iter().all(|z| z.is_some()) && p.points.len() == 40));
    let one = PlotOptions { params: Some(vec!["x".into()]), ..PlotOptions::default() };
    assert!(plot_data(PlotKind::Contour, &study(), &[Minimize], &one)
        .unwrap_err()
        .to_string()
        .contains("two parameters"));
}

/// Exact hypervolume by inclusion and exclusion over every subset of
/// points (the intersection of boxes [p, r] is [max p, r]).
fn hypervolume_brute(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let n = points.len();
    let mut total = 0.0;
    for mask in 1u32..(1 << n) {
        let mut corner = vec![f64::NEG_INFINITY; reference.len()];
        for (i, p) in points.iter().enumerate() {
            if mask & (1 << i) != 0 {
                for (c, v) in corner.iter_mut().zip(p) {
                    *c = c.max(*v);
                }
            }
        }
        let volume: f64 = corner.iter().zip(reference).map(|(c, r)| (r - c).max(0.0)).product();
        total += if mask.count_ones() % 2 == 1 { volume } else { -volume };
    }
    total
}

#[test]
fn hypervolume_is_exact_in_two_to_five_objectives() {
    assert_eq!(hypervolume_2d(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)], (4.0, 4.0)), 6.0);
    assert_eq!(hypervolume(&[vec![1.0, 1.0, 1.0]], &[2.0, 3.0, 4.0]), 6.0);
    // Outside the reference adds nothing.
    assert_eq!(hypervolume(&[vec![5.0, 0.0]], &[4.0, 4.0]), 0.0);
    let mut state = 12345u64;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for d in 2..=5 {
        for _ in 0..20 {
            let points: Vec<Vec<f64>> = (0..9).map(|_| (0..d).map(|_| uniform()).collect()).collect();
            let reference = vec![1.0; d];
            let exact = hypervolume_brute(&points, &reference);
            let ours = hypervolume(&points, &reference);
            assert!((ours - exact).abs() <= 1e-12 * exact.max(1e-300), "d={d}: {ours} vs {exact}");
        }
    }
}

#[test]
fn pareto_front_marks_the_non_dominated_feasible_trials() {
    let values = [[1.0, 5.0], [2.0, 3.0], [3.0, 4.0], [4.0, 1.0], [0.5, 0.5], [5.0, 5.0]];
    let trials: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let b = FrozenTrial::builder(i as u64).values(v);
            // Trial 4 would dominate all but is infeasible.
            Arc::new(if i == 4 { b.constraint("c", 0.5).build() } else { b.build() })
        })
        .collect();
    let PlotData::ParetoFront(p) = data(PlotKind::ParetoFront, &trials, &[Minimize, Minimize], &PlotOptions::default())
    else {
        panic!()
    };
    let front: Vec<u64> = p.points.iter().filter(|p| p.on_front).map(|p| p.number).collect();
    assert_eq!(front, [0, 1, 3]);
    assert_eq!((p.n_front, p.n_total, p.points.len()), (3, 6, 6));
    assert!(!p.points[4].feasible);
    assert_eq!(p.objective_names, ["Objective 0", "Objective 1"]);
    let options = PlotOptions { include_dominated: false, ..PlotOptions::default() };
    let PlotData::ParetoFront(p) = data(PlotKind::ParetoFront, &trials, &[Minimize, Minimize], &options) else {
        panic!()
    };
    assert_eq!(p.points.len(), 3);
    // Maximizing the second objective changes the front.
    let PlotData::ParetoFront(p) = data(PlotKind::ParetoFront, &trials, &[Minimize, Maximize], &options) else {
        panic!()
    };
    let front: Vec<u64> = p.points.iter().map(|p| p.number).collect();
    // (1, 5) is no worse than any other feasible trial in either objective.
    assert_eq!(front, [0]);
}

#[test]
fn hypervolume_history_rises_with_the_front() {
    let values = [[3.0, 3.0], [1.0, 4.0], [3.5, 3.5], [2.0, 2.0], [4.0, 1.0]];
    let trials: Vec<_> =
        values.iter().enumerate().map(|(i, v)| Arc::new(FrozenTrial::builder(i as u64).values(v).build())).collect();
    let options = PlotOptions { reference_point: Some(vec![5.0, 5.0]), ..PlotOptions::default() };
    let PlotData::HypervolumeHistory(h) = data(PlotKind::HypervolumeHistory, &trials, &[Minimize, Minimize], &options)
    else {
        panic!()
    };
    // After 0: 4; after 1: 4 + 2*... computed by hand: union of [3,5]x[3,5] and [1,5]x[4,5] = 4 + 2 = 6;
    // trial 2 is dominated; after 3: [2,5]x[2,5] = 9 plus [1,2]x[4,5] = 1 -> 10; after 4: + [4,5]x[1,2] = 1 -> 11.
    assert_eq!(h.points, vec![(0, 4.0), (1, 6.0), (3, 10.0), (4, 11.0)]);
    let bad = PlotOptions { reference_point: Some(vec![5.0]), ..PlotOptions::default() };
    assert!(plot_data(PlotKind::HypervolumeHistory, &trials, &[Minimize, Minimize], &bad).is_err());
}

#[test]
fn timeline_bars_span_each_trial_and_merge_when_thinned() {
    let mk = |n: u64, state: TrialState, start: i64, end: Option<i64>| {
        Arc::new(FrozenTrial::builder(n).state(state).times_us(Some(start), end).build())
    };
    let trials = vec![
        mk(0, TrialState::Complete, 0, Some(10)),
        mk(1, TrialState::Pruned, 10, Some(15)),
        mk(2, TrialState::Running, 15, None),
    ];
    let options = PlotOptions { now_us: Some(40), ..PlotOptions::default() };
    let PlotData::Timeline(t) = data(PlotKind::Timeline, &trials, &[Minimize], &options) else { panic!() };
    assert_eq!(t.bars.len(), 3);
    assert_eq!((t.bars[2].start_us, t.bars[2].end_us), (15, 40));
    assert!(t.workers.is_empty() && t.bars.iter().all(|b| b.worker.is_none()));
    // Trials the CLI ran record their worker; bars point to it.
    let on = |n: u64, pid: i64| {
        Arc::new(
            FrozenTrial::builder(n)
                .times_us(Some(n as i64 * 10), Some(n as i64 * 10 + 10))
                .system_attr("worker_host", "node1")
                .system_attr("worker_pid", pid)
                .build(),
        )
    };
    let PlotData::Timeline(w) = data(PlotKind::Timeline, &[on(0, 7), on(1, 9), on(2, 7)], &[Minimize], &options) else {
        panic!()
    };
    assert_eq!(w.workers, ["node1:7", "node1:9"]);
    assert_eq!(w.bars.iter().map(|b| b.worker).collect::<Vec<_>>(), [Some(0), Some(1), Some(0)]);
    assert_eq!(t.span_us, Some((0, 40)));
    // 1,000 back-to-back complete trials in 10 rows: one bar per row.
    let many: Vec<_> =
        (0..1000).map(|i| mk(i, TrialState::Complete, i as i64 * 10, Some(i as i64 * 10 + 10))).collect();
    let options = PlotOptions { max_points: 10, ..PlotOptions::default() };
    let PlotData::Timeline(t) = data(PlotKind::Timeline, &many, &[Minimize], &options) else { panic!() };
    assert_eq!((t.bars.len(), t.n_rows, t.n_total), (10, 10, 1000));
    assert_eq!(t.bars[3].numbers, (300, 399));
    assert_eq!((t.bars[3].start_us, t.bars[3].end_us), (3000, 4000));
}

#[test]
fn intermediate_values_keep_the_best_curve_and_thin_the_rest() {
    let trials: Vec<_> = (0..300u64)
        .map(|i| {
            let mut b = FrozenTrial::builder(i);
            for s in 0..100 {
                b = b.intermediate(s, (i as f64 - 137.0).abs() + 1.0 / (s + 1) as f64);
            }
            let b = if i % 2 == 0 { b.state(TrialState::Pruned) } else { b.value((i as f64 - 137.0).abs()) };
            Arc::new(b.build())
        })
        .collect();
    let options = PlotOptions { max_points: 500, ..PlotOptions::default() };
    let PlotData::IntermediateValues(iv) = data(PlotKind::IntermediateValues, &trials, &[Minimize], &options) else {
        panic!()
    };
    assert_eq!(iv.n_total, 300);
    assert_eq!(iv.best_trial, Some(137));
    assert!(iv.curves.len() <= 51 && iv.curves.iter().any(|c| c.number == 137));
    assert!(iv.curves.iter().map(|c| c.points.len()).sum::<usize>() <= 550);
    assert!(iv.curves.iter().any(|c| c.state == TrialState::Pruned));
    assert!(iv.curves.iter().all(|c| c.points.first().unwrap().0 == 0 && c.points.last().unwrap().0 == 99));
}

#[test]
fn importances_rank_the_parameter_that_decides_and_split_by_objective() {
    let trials = study();
    let PlotData::ParamImportances(imp) =
        data(PlotKind::ParamImportances, &trials, &[Minimize], &PlotOptions::default())
    else {
        panic!()
    };
    assert_eq!(imp.sets.len(), 1);
    assert_eq!(imp.sets[0].importances[0].0, "x");
    let sum: f64 = imp.sets[0].importances.iter().map(|(_, v)| v).sum();
    assert!((sum - 1.0).abs() < 1e-9);
    let forest = PlotOptions { evaluator: ImportanceEvaluator::Fanova, ..PlotOptions::default() };
    let PlotData::ParamImportances(imp) = data(PlotKind::ParamImportances, &trials, &[Minimize], &forest) else {
        panic!()
    };
    assert_eq!(imp.sets[0].importances[0].0, "x");
    // Two objectives: x decides the first, layers the second.
    let two: Vec<_> = trials
        .iter()
        .map(|t| {
            let mut t = (**t).clone();
            let (x, layers) = (t.params["x"].internal, t.params["layers"].internal);
            t.values = Some(vec![x * x, layers]);
            Arc::new(t)
        })
        .collect();
    let options = PlotOptions { objective_names: Some(vec!["loss".into(), "size".into()]), ..forest };
    let PlotData::ParamImportances(imp) = data(PlotKind::ParamImportances, &two, &[Minimize, Maximize], &options)
    else {
        panic!()
    };
    assert_eq!(imp.sets.len(), 2);
    assert_eq!((imp.sets[0].target_name.as_str(), imp.sets[0].importances[0].0.as_str()), ("loss", "x"));
    assert_eq!((imp.sets[1].target_name.as_str(), imp.sets[1].importances[0].0.as_str()), ("size", "layers"));
}

#[test]
fn rank_gives_each_trial_its_rank_as_a_fraction() {
    let trials = study();
    let PlotData::Rank(r) = data(PlotKind::Rank, &trials, &[Minimize], &PlotOptions::default()) else { panic!() };
    assert_eq!(r.points.len(), 40);
    let best = best_number(&trials, Minimize);
    assert_eq!(r.points.iter().find(|p| p.number == best).unwrap().rank, 0.0);
    assert_eq!(r.points.iter().map(|p| p.rank).fold(0.0, f64::max), 1.0);
    assert_eq!(r.axes.len(), 4);
}

#[test]
fn plot_data_serializes_with_its_kind() {
    let json = serde_json::to_value(data(PlotKind::Slice, &study(), &[Minimize], &PlotOptions::default())).unwrap();
    assert_eq!(json["kind"], "slice");
    assert_eq!(json["panels"][2]["axis"]["type"], "categorical");
    assert_eq!(json["panels"][1]["axis"]["log"], true);
}
