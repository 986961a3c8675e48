//! Round trips through files written here and read back; the Python suite
//! (`test_optuna_interop.py`) checks the same against Optuna itself.

use super::*;
use ferrotune_core::{Distribution, FloatDistribution, IntDistribution, ParamValue};

#[test]
fn times_convert_both_ways() {
    assert_eq!(utc_text_to_us("1970-01-01 00:00:00"), Some(0));
    assert_eq!(utc_text_to_us("1970-01-01 00:00:01.5"), Some(1_500_000));
    let us = utc_text_to_us("2026-12-06 07:06:44.791775").unwrap();
    assert_eq!(us_to_utc_text(us), "2026-12-06 07:06:44.791775");
    assert_eq!(us, 1_796_540_804_791_775);
    assert_eq!(us_to_utc_text(-1), "1969-12-31 23:59:59.999999");
    assert_eq!(utc_text_to_us("2024-02-29T12:00:00"), Some(1_709_208_000_000_000));
    for bad in ["", "yesterday", "2024-13-01 00:00:00", "2024-01-01", "2024-01-01 10:00:00.x"] {
        assert_eq!(utc_text_to_us(bad), None, "{bad}");
    }
}

#[test]
fn python_json_words_become_the_floats_attributes_hold_and_back() {
    let nan = ferrotune_core::float_attr(f64::NAN);
    let inf = ferrotune_core::float_attr(f64::INFINITY);
    let minus_inf = ferrotune_core::float_attr(f64::NEG_INFINITY);
    let read = parse_python_json("[1, NaN, Infinity, -Infinity]").unwrap();
    assert_eq!(read, serde_json::json!([1, nan, inf, minus_inf]));
    assert_eq!(python_json_text(&read), "[1,NaN,Infinity,-Infinity]");
    // Words inside strings stay as they are, both ways.
    let read = parse_python_json(r#"{"a": "NaN \" Infinity", "b": NaN}"#).unwrap();
    assert_eq!(read, serde_json::json!({"a": "NaN \" Infinity", "b": nan}));
    assert_eq!(python_json_text(&read), r#"{"a":"NaN \" Infinity","b":NaN}"#);
    let tricky = serde_json::json!({"s": r#"{"$float":"NaN"}"#});
    assert_eq!(python_json_text(&tricky), tricky.to_string(), "an object's text inside a string is not a float");
    assert!(parse_python_json("{").is_err());
}

#[test]
fn urls_are_read_in_sqlalchemys_forms() {
    assert!(matches!(OptunaUrl::parse("sqlite:///a.db").unwrap(), OptunaUrl::Sqlite(p) if p == Path::new("a.db")));
    assert!(
        matches!(OptunaUrl::parse("sqlite:////tmp/a.db").unwrap(), OptunaUrl::Sqlite(p) if p == Path::new("/tmp/a.db"))
    );
    assert!(matches!(OptunaUrl::parse("x/a.sqlite3").unwrap(), OptunaUrl::Sqlite(_)));
    assert!(matches!(
        OptunaUrl::parse("postgresql+psycopg2://u:pw@h/db").unwrap(),
        OptunaUrl::Postgres(u) if u == "postgresql://u:pw@h/db"
    ));
    let err = |url: &str| OptunaUrl::parse(url).err().unwrap().to_string();
    assert!(err("mysql+pymysql://u:secret@h/db").contains("MySQL"));
    assert!(!err("mysql+pymysql://u:secret@h/db").contains("secret"));
    assert!(err("").contains("empty"));
    assert!(err("redis://x").contains("unsupported"));
}

fn sample_study() -> StudyData {
    let x = Distribution::Float(FloatDistribution::new(1e-3, 1.0, true, None).unwrap());
    let n = Distribution::Int(IntDistribution::new(0, 10, false, 2).unwrap());
    let c = Distribution::categorical([ParamValue::from("a"), ParamValue::Null, 1.into(), 2.5.into()]).unwrap();
    let t0 = 1_700_000_000_000_000;
    let trials = vec![
        FrozenTrial::builder(0)
            .param("x", &x, 0.01)
            .param("n", &n, 4.0)
            .value(f64::INFINITY)
            .intermediate(0, f64::NAN)
            .intermediate(1, f64::NEG_INFINITY)
            .intermediate(2, 0.5)
            .user_attr("note", serde_json::json!({"k": [1, 2]}))
            .constraint("0", -1.0)
            .constraint("1", 2.0)
            .times_us(Some(t0), Some(t0 + 1_234_567))
            .build(),
        FrozenTrial::builder(1)
            .state(TrialState::Pruned)
            .param("c", &c, 1.0)
            .value(0.25)
            .intermediate(3, 0.25)
            .times_us(Some(t0 + 2), Some(t0 + 3))
            .build(),
        FrozenTrial::builder(2)
            .state(TrialState::Failed)
            .system_attr("fail_reason", "boom")
            .times_us(Some(t0 + 4), Some(t0 + 5))
            .build(),
        FrozenTrial::builder(3).state(TrialState::Running).param("x", &x, 0.5).times_us(Some(t0 + 6), None).build(),
        FrozenTrial::builder(4).state(TrialState::Waiting).fixed_param("x", 0.125).build(),
    ];
    StudyData {
        name: "s".into(),
        directions: vec![StudyDirection::Minimize],
        user_attrs: BTreeMap::from([("owner".to_owned(), serde_json::json!("me"))]),
        system_attrs: BTreeMap::new(),
        trials: trials
            .into_iter()
            .enumerate()
            .map(|(i, mut t)| {
                t.trial_id = i as i64 + 1;
                t
            })
            .collect(),
    }
}

/// Whether two trials hold the same data (NaN equal to NaN).
fn same_trial(a: &FrozenTrial, b: &FrozenTrial) -> bool {
    let bits = |m: &BTreeMap<u64, f64>| {
        m.iter().map(|(k, v)| (*k, if v.is_nan() { u64::MAX } else { v.to_bits() })).collect::<Vec<_>>()
    };
    a.number == b.number
        && a.state == b.state
        && a.values == b.values
        && a.params == b.params
        && bits(&a.intermediate_values) == bits(&b.intermediate_values)
        && a.user_attrs == b.user_attrs
        && a.system_attrs == b.system_attrs
        && a.fixed_params == b.fixed_params
}

#[test]
fn a_written_file_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optuna.db");
    let mut two = sample_study();
    two.name = "two".into();
    two.directions = vec![StudyDirection::Maximize, StudyDirection::Minimize];
    two.trials = vec![FrozenTrial::builder(0)
        .values(&[1.0, -2.0])
        .intermediate_vector(0, &[3.0, f64::NAN])
        .intermediate_vector(4, &[2.0, 1.0])
        .times_us(Some(5), Some(6))
        .build()];
    write_optuna_sqlite(&path, &[sample_study(), two.clone()]).unwrap();

    let read = read_optuna_studies(&format!("sqlite:///{}", path.display()), None).unwrap();
    assert_eq!(read.len(), 2);
    let original = sample_study();
    assert_eq!(
        (&read[0].name, &read[0].directions, &read[0].user_attrs),
        (&original.name, &original.directions, &original.user_attrs)
    );
    for (a, b) in read[0].trials.iter().zip(&original.trials) {
        assert!(same_trial(a, b), "{a:#?}\n{b:#?}");
        assert_eq!((a.started_at_us, a.finished_at_us), (b.started_at_us, b.finished_at_us));
    }
    assert_eq!(read[0].trials.len(), original.trials.len());
    assert_eq!(read[1].directions, two.directions);
    assert_eq!(read[1].trials[0].values, Some(vec![1.0, -2.0]));
    // Per-objective intermediate values come back, and are no attribute.
    let vectors = &read[1].trials[0].intermediate_vectors;
    assert_eq!(vectors.keys().copied().collect::<Vec<_>>(), [0, 4]);
    assert!(vectors[&0][0] == 3.0 && vectors[&0][1].is_nan() && vectors[&4] == [2.0, 1.0]);
    assert_eq!(read[1].trials[0].intermediate_values, BTreeMap::from([(0, 3.0), (4, 2.0)]));
    assert!(read[1].trials[0].system_attrs.is_empty());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let carried: String = conn
        .query_row(
            "SELECT value_json FROM trial_system_attributes WHERE \"key\" = 'ferrotune:intermediate_vectors'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(carried, r#"{"0":[3.0,null],"4":[2.0,1.0]}"#);
    drop(conn);

    // Only the studies asked for; an unknown name lists those there are.
    let only = read_optuna_studies(path.to_str().unwrap(), Some(&["two".to_owned()])).unwrap();
    assert_eq!(only.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["two"]);
    let err = read_optuna_studies(path.to_str().unwrap(), Some(&["nope".to_owned()])).unwrap_err().to_string();
    assert!(err.contains("no study named 'nope'") && err.contains("'s', 'two'"), "{err}");

    // Never overwritten.
    let err = write_optuna_sqlite(&path, &[]).unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn import_copies_every_trial_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optuna.db");
    let mut two = sample_study();
    two.name = "two".into();
    two.directions = vec![StudyDirection::Maximize, StudyDirection::Minimize];
    two.trials = vec![FrozenTrial::builder(0).values(&[1.0, -2.0]).intermediate_vector(2, &[3.0, 4.0]).build()];
    write_optuna_sqlite(&path, &[sample_study(), two]).unwrap();
    let url = format!("sqlite:///{}", path.display());
    let target = crate::InMemoryStorage::new();
    let imported = import_optuna(&url, &target, Some(&["s".to_owned()])).unwrap();
    assert_eq!(imported, vec![ImportedStudy { name: "s".into(), n_trials: 5 }]);
    import_optuna(&url, &target, Some(&["two".to_owned()])).unwrap();
    let two = target.study_by_name("two").unwrap().unwrap();
    let trial = &target.all_trials(two.study_id).unwrap()[0];
    assert_eq!(trial.intermediate_vectors, BTreeMap::from([(2, vec![3.0, 4.0])]));
    assert_eq!(trial.values, Some(vec![1.0, -2.0]));
    let info = target.study_by_name("s").unwrap().unwrap();
    assert_eq!(info.user_attrs["owner"], "me");
    let trials = target.all_trials(info.study_id).unwrap();
    for (a, b) in trials.iter().zip(&sample_study().trials) {
        // The import keeps the trial's own times, not those of the import.
        assert_eq!((a.started_at_us, a.finished_at_us), (b.started_at_us, b.finished_at_us), "trial {}", a.number);
        if b.state == TrialState::Running {
            // Nothing would ever finish it here: it comes in failed, saying why.
            assert_eq!(a.state, TrialState::Failed);
            assert!(a.system_attrs[FAIL_REASON_ATTR].as_str().unwrap().contains("still running"), "{a:#?}");
            assert_eq!(a.params, b.params);
            continue;
        }
        assert!(same_trial(a, b), "{a:#?}\n{b:#?}");
    }
    let err = import_optuna(&url, &target, None).unwrap_err().to_string();
    assert!(err.contains("already has a study named 's'"), "{err}");
    assert_eq!(target.all_trials(info.study_id).unwrap().len(), 5);

    // And out again: the export of the import is the file's content.
    let again = dir.path().join("again.db");
    assert_eq!(export_optuna_sqlite(&target, Some(&["s".to_owned()]), &again).unwrap(), (1, 5));
    let read = read_optuna_studies(again.to_str().unwrap(), None).unwrap();
    for (a, b) in read[0].trials.iter().zip(&trials) {
        assert!(same_trial(a, b), "{a:#?}\n{b:#?}");
    }
}

#[test]
fn files_that_are_not_optunas_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = read_optuna_studies(missing.to_str().unwrap(), None).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing.exists(), "reading must not create the file");

    let ferrotune_db = dir.path().join("ferrotune.db");
    drop(crate::SqliteStorage::open(&ferrotune_db).unwrap());
    let err = read_optuna_studies(ferrotune_db.to_str().unwrap(), None).unwrap_err().to_string();
    assert!(err.contains("this is a ferrotune database"), "{err}");
    let empty = dir.path().join("empty.db");
    drop(rusqlite::Connection::open(&empty).unwrap());
    let err = read_optuna_studies(empty.to_str().unwrap(), None).unwrap_err().to_string();
    assert!(err.contains("not a database written by Optuna"), "{err}");

    let old = dir.path().join("old.db");
    write_optuna_sqlite(&old, &[]).unwrap();
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute("UPDATE alembic_version SET version_num = 'v2.6.0.a'", []).unwrap();
    drop(conn);
    let err = read_optuna_studies(old.to_str().unwrap(), None).unwrap_err().to_string();
    assert!(err.contains("v2.6.0.a") && err.contains("optuna storage upgrade"), "{err}");
}

#[test]
fn ferrotune_refuses_to_open_an_optuna_file_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optuna.db");
    write_optuna_sqlite(&path, &[sample_study()]).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = crate::open(&format!("sqlite:///{}", path.display())).err().unwrap().to_string();
    assert!(err.contains("is an Optuna database") && err.contains("ferrotune import"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not change");
    let err = crate::SqliteStorage::open_read_only(&path).err().unwrap().to_string();
    assert!(err.contains("is an Optuna database"), "{err}");
}

#[test]
fn ferrotune_files_carry_their_application_id_and_foreign_tables_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.db");
    drop(crate::SqliteStorage::open(&ours).unwrap());
    let conn = rusqlite::Connection::open(&ours).unwrap();
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(id, crate::sql::sqlite::APPLICATION_ID);
    drop(conn);
    // Opened again (and so not new), it is still ours.
    drop(crate::SqliteStorage::open(&ours).unwrap());

    let foreign = dir.path().join("foreign.db");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE studies (id INTEGER); CREATE TABLE other (x TEXT);").unwrap();
    drop(conn);
    let err = crate::SqliteStorage::open(&foreign).err().unwrap().to_string();
    assert!(err.contains("not a ferrotune database") && err.contains("`studies`"), "{err}");

    // Tables of another program under other names do not stand in the way.
    let shared = dir.path().join("shared.db");
    let conn = rusqlite::Connection::open(&shared).unwrap();
    conn.execute_batch("CREATE TABLE app_settings (k TEXT);").unwrap();
    drop(conn);
    drop(crate::SqliteStorage::open(&shared).unwrap());
}
