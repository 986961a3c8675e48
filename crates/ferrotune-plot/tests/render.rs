//! The painters on hand-made plot data: each kind's marks counted by class,
//! the best trial's marker, user text escaped, empty data drawn as a
//! message, the log axis refused over non-positive values, and the three
//! formats.

use std::collections::BTreeMap;

use ferrotune_analysis::cost::CostSummary;
use ferrotune_analysis::plot::*;
use ferrotune_core::{StudyDirection, TrialState};
use ferrotune_plot::{render, Error, OutputFormat, RenderOptions};

/// A name made of XML's special characters.
const HOSTILE: &str = "<lr&\"x'>";

fn draw(data: &PlotData) -> String {
    svg_with(data, &RenderOptions::default())
}

fn svg_with(data: &PlotData, options: &RenderOptions) -> String {
    let bytes = render(data, OutputFormat::Svg, options).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed: {e}\n{text}"));
    assert!(!text.contains(HOSTILE), "user text must be escaped");
    text
}

/// Attributes of the elements whose class is exactly `class`.
fn marks(svg: &str, class: &str) -> Vec<BTreeMap<String, String>> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .map(|n| n.attributes().map(|a| (a.name().to_owned(), a.value().to_owned())).collect())
        .collect()
}

fn best(svg: &str) -> Vec<String> {
    marks(svg, "best").iter().map(|m| m["data-number"].clone()).collect()
}

fn texts(svg: &str, class: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .filter_map(|n| n.text())
        .map(str::to_owned)
        .collect()
}

fn lr_axis() -> ParamAxis {
    ParamAxis::Numeric { name: HOSTILE.into(), min: 1e-4, max: 1e-1, log: true, int: false }
}

fn optimizer_axis() -> ParamAxis {
    ParamAxis::Categorical { name: "optimizer".into(), labels: vec!["adam".into(), "a<b&c".into()] }
}

fn history(n: u64) -> History {
    let points: Vec<ValuePoint> =
        (0..n).map(|i| ValuePoint { number: i, value: 1.0 + ((i * 7) % 11) as f64, feasible: i != 3 }).collect();
    let best_trial = points.iter().filter(|p| p.feasible).min_by(|a, b| a.value.total_cmp(&b.value)).copied();
    History {
        target_name: HOSTILE.into(),
        direction: Some(StudyDirection::Minimize),
        best: vec![points[0], best_trial.unwrap(), *points.last().unwrap()],
        best_trial,
        n_total: n as usize,
        points,
    }
}

#[test]
fn history_marks_every_point_and_the_best() {
    let svg = draw(&PlotData::OptimizationHistory(history(20)));
    assert_eq!(marks(&svg, "point").len(), 20);
    assert_eq!(marks(&svg, "point").iter().filter(|p| p.get("data-feasible").is_some()).count(), 1);
    assert_eq!(best(&svg), ["0"]);
    assert_eq!(marks(&svg, "line").len(), 1);
    assert!(texts(&svg, "title").contains(&"Optimization History Plot".to_owned()));
    assert!(texts(&svg, "subtitle").contains(&"20 trials".to_owned()));
    assert!(svg.contains("&lt;lr&amp;&quot;x&apos;&gt;"));
    // Thinned: the subtitle says how many of how many.
    let mut thinned = history(20);
    thinned.n_total = 100_000;
    let svg = svg_with(&PlotData::OptimizationHistory(thinned), &RenderOptions::default());
    assert!(texts(&svg, "subtitle").contains(&"showing 20 of 100,000 trials".to_owned()));
}

#[test]
fn log_value_axis_needs_positive_values() {
    let log = RenderOptions { log_value_axis: true, ..RenderOptions::default() };
    let svg = svg_with(&PlotData::OptimizationHistory(history(20)), &log);
    let ticks: Vec<String> = marks(&svg, "tick y-tick").iter().map(|m| m["data-value"].clone()).collect();
    assert_eq!(ticks, ["1", "2", "5", "10"]);
    let mut negative = history(5);
    negative.points[2].value = -1.0;
    let err = render(&PlotData::OptimizationHistory(negative), OutputFormat::Svg, &log).unwrap_err();
    assert!(matches!(err, Error::LogAxis { min } if min == -1.0), "{err}");
}

#[test]
fn empty_data_says_so() {
    let empty = History {
        target_name: "v".into(),
        direction: Some(StudyDirection::Minimize),
        points: vec![],
        best: vec![],
        best_trial: None,
        n_total: 0,
    };
    for data in [
        PlotData::OptimizationHistory(empty),
        PlotData::Edf(Edf { target_name: "v".into(), points: vec![], n_total: 0 }),
        PlotData::IntermediateValues(IntermediateValues { curves: vec![], n_total: 0, best_trial: None }),
        PlotData::ParetoFront(ParetoFront {
            objectives: vec![0, 1],
            objective_names: vec!["a".into(), "b".into()],
            directions: vec![StudyDirection::Minimize; 2],
            points: vec![],
            n_total: 0,
            n_front: 0,
        }),
    ] {
        let svg = draw(&data);
        assert_eq!(texts(&svg, "empty").len(), 1, "{svg}");
    }
}

#[test]
fn parallel_coordinate_draws_a_line_per_trial() {
    let lines: Vec<Line> = (0..10)
        .map(|i| Line { number: i, value: i as f64, coords: vec![10f64.powf(-4.0 + 0.3 * i as f64), (i % 2) as f64] })
        .collect();
    let data = ParallelCoordinate {
        target_name: "loss".into(),
        direction: Some(StudyDirection::Maximize),
        value_range: (0.0, 9.0),
        axes: vec![lr_axis(), optimizer_axis()],
        lines,
        n_total: 10,
    };
    let svg = draw(&PlotData::ParallelCoordinate(data));
    assert_eq!(marks(&svg, "line").len(), 10);
    assert_eq!(best(&svg), ["9"], "maximize: the highest value");
    assert!(svg.contains("a&lt;b&amp;c"));
}

#[test]
fn slice_contour_and_rank_panels() {
    let points: Vec<ParamPoint> = (0..6)
        .map(|i| ParamPoint { number: i, x: 10f64.powf(-4.0 + 0.5 * i as f64), y: 0.0, value: i as f64 })
        .collect();
    let slice = Slice {
        target_name: "loss".into(),
        direction: Some(StudyDirection::Minimize),
        panels: vec![
            SlicePanel { axis: lr_axis(), points: points.clone(), n_total: 6 },
            SlicePanel {
                axis: optimizer_axis(),
                points: points.iter().map(|p| ParamPoint { x: (p.number % 2) as f64, ..*p }).collect(),
                n_total: 6,
            },
        ],
        best_trial: Some(0),
    };
    let svg = draw(&PlotData::Slice(slice));
    assert_eq!(marks(&svg, "point").len(), 12);
    assert_eq!(best(&svg), ["0", "0"]);

    let panel = |x: ParamAxis, y: ParamAxis| ContourPanel {
        x,
        y,
        grid_x: vec![1e-4, 1e-3, 1e-2],
        grid_y: vec![0.0, 1.0],
        z: vec![Some(1.0), Some(2.0), None, Some(3.0), Some(4.0), Some(5.0)],
        points: points.iter().map(|p| ParamPoint { y: (p.number % 2) as f64, ..*p }).collect(),
        n_total: 6,
        best: Some(points[0]),
    };
    let contour = Contour {
        target_name: "loss".into(),
        direction: Some(StudyDirection::Minimize),
        value_range: (0.0, 5.0),
        params: vec![HOSTILE.into(), "optimizer".into()],
        panels: vec![panel(lr_axis(), optimizer_axis())],
    };
    let svg = draw(&PlotData::Contour(contour.clone()));
    assert_eq!(marks(&svg, "cell").len(), 5, "a rect per cell with a value");
    assert_eq!(marks(&svg, "point").len(), 6);
    assert_eq!(best(&svg), ["0"]);
    // The cells tile the plot: the first column starts at the frame.
    let cells = marks(&svg, "cell");
    let xs: Vec<f64> = cells.iter().map(|c| c["x"].parse().unwrap()).collect();
    let frame_left = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(xs.iter().filter(|x| (**x - frame_left).abs() < 0.01).count() >= 2);

    // Three parameters: three panels in a triangle.
    let mut matrix = contour;
    matrix.params = vec![HOSTILE.into(), "optimizer".into(), "units".into()];
    let units = ParamAxis::Numeric { name: "units".into(), min: 16.0, max: 256.0, log: true, int: true };
    matrix.panels = vec![
        panel(lr_axis(), optimizer_axis()),
        panel(lr_axis(), units.clone()),
        panel(optimizer_axis(), units.clone()),
    ];
    let svg = draw(&PlotData::Contour(matrix));
    assert_eq!(marks(&svg, "panel").len(), 3);
    assert_eq!(marks(&svg, "cell").len(), 15);

    let rank = Rank {
        target_name: "loss".into(),
        direction: Some(StudyDirection::Minimize),
        axes: vec![lr_axis(), optimizer_axis(), units],
        points: (0..5)
            .map(|i| RankPoint {
                number: i,
                coords: vec![1e-3, (i % 2) as f64, if i == 4 { f64::NAN } else { 32.0 }],
                value: i as f64,
                rank: i as f64 / 4.0,
            })
            .collect(),
        n_total: 5,
    };
    let svg = draw(&PlotData::Rank(rank));
    assert!(texts(&svg, "title").contains(&"Rank (loss)".to_owned()));
    assert_eq!(marks(&svg, "panel").len(), 3);
    // Trial 4 lacks units: in the one panel without it only.
    assert_eq!(marks(&svg, "point").len(), 5 + 4 + 4);
    assert_eq!(best(&svg), ["0", "0", "0"]);
}

#[test]
fn importances_bars() {
    let data = Importances {
        evaluator: ImportanceEvaluator::Fanova,
        sets: vec![
            ImportanceSet { target_name: "f1".into(), importances: vec![(HOSTILE.into(), 0.7), ("b".into(), 0.3)] },
            ImportanceSet { target_name: "f2".into(), importances: vec![("b".into(), 0.995), (HOSTILE.into(), 0.005)] },
        ],
    };
    let svg = draw(&PlotData::ParamImportances(data));
    let bars = marks(&svg, "bar");
    assert_eq!(bars.len(), 4);
    assert!(texts(&svg, "bar-label").contains(&"<0.01".to_owned()));
    assert!(texts(&svg, "subtitle").contains(&"evaluator: fANOVA".to_owned()));
    assert_eq!(texts(&svg, "set-title"), ["f1", "f2"]);
}

#[test]
fn intermediate_values_by_state() {
    let curve =
        |number, state, n: u64| Curve { number, state, points: (0..n).map(|s| (s, 1.0 / (s + 1) as f64)).collect() };
    let data = IntermediateValues {
        curves: vec![
            curve(0, TrialState::Complete, 5),
            curve(1, TrialState::Pruned, 1),
            curve(2, TrialState::Pruned, 2),
            curve(3, TrialState::Running, 3),
        ],
        n_total: 4,
        best_trial: Some(0),
    };
    let svg = draw(&PlotData::IntermediateValues(data));
    let curves = marks(&svg, "curve");
    assert_eq!(curves.len(), 4);
    assert_eq!(curves.iter().filter(|c| c["data-state"] == "pruned").count(), 2);
    assert_ne!(
        curves.iter().find(|c| c["data-state"] == "pruned").unwrap()["stroke"],
        curves.iter().find(|c| c["data-state"] == "complete").unwrap()["stroke"]
    );
    assert_eq!(best(&svg), ["0"]);
    assert_eq!(texts(&svg, "legend-label"), ["Complete", "Pruned", "Running", "Best Trial"]);
}

#[test]
fn pareto_fronts_in_two_and_three_objectives() {
    let point =
        |number: u64, values: Vec<f64>, on_front| ParetoPoint { number, values, on_front, feasible: number != 4 };
    let two = ParetoFront {
        objectives: vec![0, 1],
        objective_names: vec![HOSTILE.into(), "b".into()],
        directions: vec![StudyDirection::Minimize; 2],
        points: vec![
            point(0, vec![0.0, 1.0], true),
            point(1, vec![1.0, 0.0], true),
            point(2, vec![1.0, 1.0], false),
            point(4, vec![0.5, 0.5], false),
        ],
        n_total: 4,
        n_front: 2,
    };
    let svg = draw(&PlotData::ParetoFront(two.clone()));
    let points = marks(&svg, "point");
    assert_eq!(points.len(), 4);
    assert_eq!(points.iter().filter(|p| p["data-front"] == "true").count(), 2);
    assert_eq!(points.iter().filter(|p| p["data-feasible"] == "false").count(), 1);
    assert_eq!(marks(&svg, "front").len(), 1);

    let mut three = two;
    three.objectives = vec![0, 1, 2];
    three.objective_names.push("c".into());
    three.directions.push(StudyDirection::Maximize);
    for p in &mut three.points {
        p.values.push(p.number as f64);
    }
    let svg = draw(&PlotData::ParetoFront(three));
    assert_eq!(marks(&svg, "panel").len(), 3);
    assert_eq!(marks(&svg, "point").len(), 12);
    assert!(texts(&svg, "direction").contains(&"c (max)".to_owned()));
}

#[test]
fn timeline_bars_and_cost() {
    let bar = |row, number, state, start_s: i64, end_s: i64| Bar {
        row,
        numbers: (number, number),
        state,
        start_us: start_s * 1_000_000,
        end_us: end_s * 1_000_000,
        worker: None,
    };
    let cost = CostSummary {
        n_trials: 3,
        n_by_state: BTreeMap::new(),
        compute_secs: 600.0,
        compute_secs_by_state: [("complete".to_owned(), 500.0), ("pruned".to_owned(), 100.0)].into_iter().collect(),
        mean_complete_secs: Some(250.0),
        pruning_saved_secs: Some(150.0),
        pruning_saved_steps: Some(12.0),
        first_start_us: Some(0),
        last_end_us: Some(600_000_000),
    };
    let data = Timeline {
        bars: vec![
            bar(0, 0, TrialState::Complete, 0, 250),
            bar(1, 1, TrialState::Pruned, 250, 350),
            bar(2, 2, TrialState::Complete, 350, 600),
        ],
        n_rows: 3,
        n_total: 3,
        span_us: Some((0, 600_000_000)),
        cost,
        workers: Vec::new(),
    };
    let svg = draw(&PlotData::Timeline(data));
    assert_eq!(marks(&svg, "bar").len(), 3);
    let subtitles = texts(&svg, "subtitle");
    assert!(
        subtitles.contains(
            &"compute 10.0 min (complete 8.3 min, pruned 1.7 min); pruning saved about 2.5 min (12 steps)".to_owned()
        ),
        "{subtitles:?}"
    );
    assert!(texts(&svg, "axis-title x-title").contains(&"Time since the first trial started (min)".to_owned()));
}

#[test]
fn edf_and_hypervolume_lines() {
    let edf =
        Edf { target_name: "loss".into(), points: vec![(0.1, 0.25), (0.2, 0.5), (0.4, 0.75), (0.8, 1.0)], n_total: 4 };
    let svg = draw(&PlotData::Edf(edf));
    let lines = marks(&svg, "line");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["data-points"], "4");
    let hv = HypervolumeHistory {
        objectives: vec![0, 1],
        reference_point: vec![2.0, 2.0],
        points: vec![(0, 0.5), (3, 1.5), (9, 1.5)],
        n_total: 10,
    };
    let svg = draw(&PlotData::HypervolumeHistory(hv));
    assert_eq!(marks(&svg, "line").len(), 1);
    assert_eq!(marks(&svg, "point").len(), 3);
}

#[test]
fn formats() {
    let data = PlotData::OptimizationHistory(history(8));
    let options =
        RenderOptions { width: 400, height: 300, title: Some("My <study>".into()), ..RenderOptions::default() };
    let html = String::from_utf8(render(&data, OutputFormat::Html, &options).unwrap()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>My &lt;study&gt;</title>") && html.contains("<svg xmlns="));
    assert!(!html.contains("<script"));
    if cfg!(feature = "png") {
        let png = render(&data, OutputFormat::Png, &options).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 400);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 300);
    } else {
        assert!(matches!(render(&data, OutputFormat::Png, &options), Err(Error::Png(_))));
    }
    let too_big = RenderOptions { width: 9000, ..RenderOptions::default() };
    assert!(matches!(render(&data, OutputFormat::Svg, &too_big), Err(Error::InvalidOption(_))));
    assert_eq!("HTM".parse::<OutputFormat>().unwrap(), OutputFormat::Html);
    assert_eq!(OutputFormat::from_path(std::path::Path::new("a/b.png")), Some(OutputFormat::Png));
}

/// The front's staircase turns at (next x, previous y) when x is
/// minimized, at (previous x, next y) when it is maximized.
#[test]
fn front_staircase_follows_the_directions() {
    let point = |number: u64, values: Vec<f64>| ParetoPoint { number, values, on_front: true, feasible: true };
    let front = |directions: Vec<StudyDirection>, points: Vec<ParetoPoint>| {
        let data = ParetoFront {
            objectives: vec![0, 1],
            objective_names: vec!["x".into(), "y".into()],
            directions,
            n_total: points.len(),
            n_front: points.len(),
            points,
        };
        let svg = draw(&PlotData::ParetoFront(data));
        let line = marks(&svg, "front").remove(0)["points"].clone();
        let dots: Vec<(f64, f64)> =
            marks(&svg, "point").iter().map(|p| (p["cx"].parse().unwrap(), p["cy"].parse().unwrap())).collect();
        let corners: Vec<(f64, f64)> = line
            .split(' ')
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        (dots, corners)
    };
    // Minimize both: (0, 1) then (1, 0); the corner at (1, 1).
    let (dots, corners) =
        front(vec![StudyDirection::Minimize; 2], vec![point(0, vec![0.0, 1.0]), point(1, vec![1.0, 0.0])]);
    assert_eq!(corners, [dots[0], (dots[1].0, dots[0].1), dots[1]]);
    // Maximize both: the corner at (0, 0).
    let (dots, corners) =
        front(vec![StudyDirection::Maximize; 2], vec![point(0, vec![0.0, 1.0]), point(1, vec![1.0, 0.0])]);
    assert_eq!(corners, [dots[0], (dots[0].0, dots[1].1), dots[1]]);
}
