//! Reading metrics from what an unmodified program prints.
//!
//! A line carries a metric when it is a JSON object with the metric's key,
//! or when the text has `name=value` or `name: value` with `name` standing
//! alone (so `val_loss` does not match inside `train_val_loss`). The step
//! comes from the configured step key on the same line, if any.

/// Values found on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    /// The step named on the line, if any.
    pub step: Option<u64>,
    /// One entry per configured metric, `None` where the line lacks it.
    pub values: Vec<Option<f64>>,
}

/// Finds the configured metrics in output lines.
#[derive(Debug, Clone)]
pub struct MetricParser {
    names: Vec<String>,
    step_key: Option<String>,
}

impl MetricParser {
    /// A parser for these metric names and optional step key.
    pub fn new(names: Vec<String>, step_key: Option<String>) -> Self {
        MetricParser { names, step_key }
    }

    /// The metrics on a line, or `None` if it has none of them.
    pub fn parse(&self, line: &str) -> Option<MetricLine> {
        let trimmed = line.trim();
        let json = trimmed
            .starts_with('{')
            .then(|| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(trimmed).ok())
            .flatten();
        let lookup = |key: &str| match &json {
            Some(obj) => obj.get(key).and_then(json_number),
            None => text_value(line, key),
        };
        let values: Vec<Option<f64>> = self.names.iter().map(|n| lookup(n)).collect();
        if values.iter().all(Option::is_none) {
            return None;
        }
        let step = self
            .step_key
            .as_deref()
            .and_then(lookup)
            .filter(|s| s.is_finite() && *s >= 0.0 && s.fract() == 0.0)
            .map(|s| s as u64);
        Some(MetricLine { step, values })
    }
}

fn json_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        // Python's json.dumps writes NaN bare (not valid JSON); some
        // programs quote it instead.
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Null => Some(f64::NAN),
        _ => None,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-'
}

/// The last `key=value` / `key: value` on the line.
fn text_value(line: &str, key: &str) -> Option<f64> {
    let mut found = None;
    let mut from = 0;
    if key.is_empty() {
        return None;
    }
    // Every index below comes from `find` or a character's length, so it
    // lies on a character boundary; `get` keeps that a proof, not a panic.
    while let Some(pos) = line.get(from..).and_then(|rest| rest.find(key)) {
        let start = from + pos;
        let end = start + key.len();
        let (before, after) = (line.get(..start).unwrap_or_default(), line.get(end..).unwrap_or_default());
        // Resume the search after the match's first character, not its
        // first byte: a key may start with a multi-byte character (`λ`).
        from = start + key.chars().next().map_or(1, char::len_utf8);
        if before.chars().next_back().is_some_and(is_name_char) {
            continue;
        }
        let rest = after.trim_start();
        let Some(rest) = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')) else { continue };
        if let Ok(v) = number_token(rest).parse::<f64>() {
            found = Some(v);
        }
    }
    // Bare NaN in a JSON-looking line that failed to parse as JSON lands
    // here too, so Python's `{"loss": NaN}` is still read.
    found.or_else(|| {
        let quoted = format!("\"{key}\"");
        let (_, rest) = line.split_once(&quoted)?;
        number_token(rest.trim_start().strip_prefix(':')?).parse().ok()
    })
}

/// The number-like token at the start of `text` (after spaces), without a
/// sentence's final period.
fn number_token(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
        .map_or(text.len(), |(i, _)| i);
    text.get(..end).unwrap_or_default().trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> MetricParser {
        MetricParser::new(vec!["val_acc".into()], Some("epoch".into()))
    }

    #[test]
    fn reads_the_common_formats() {
        let p = parser();
        let one = |line: &str| p.parse(line).map(|m| (m.step, m.values[0]));
        assert_eq!(one("val_acc=0.91"), Some((None, Some(0.91))));
        assert_eq!(one("epoch 3: loss=0.2 val_acc: 0.875"), Some((None, Some(0.875))));
        assert_eq!(one("epoch=3 val_acc = 8.5e-1"), Some((Some(3), Some(0.85))));
        assert_eq!(one(r#"{"epoch": 4, "val_acc": 0.9, "loss": 0.1}"#), Some((Some(4), Some(0.9))));
        assert_eq!(one("[epoch: 7] val_acc: 0.5."), Some((Some(7), Some(0.5))));
        assert_eq!(one("val_acc=0.1 then val_acc=0.2"), Some((None, Some(0.2))), "the last value on a line wins");
    }

    #[test]
    fn ignores_lookalikes_and_lines_without_the_metric() {
        let p = parser();
        assert_eq!(p.parse("train_val_acc=0.3"), None);
        assert_eq!(p.parse("val_accuracy=0.3"), None);
        assert_eq!(p.parse("val_acc is great"), None);
        assert_eq!(p.parse("val_acc=abc"), None);
        assert_eq!(p.parse(r#"{"loss": 0.1}"#), None);
        assert_eq!(p.parse(""), None);
    }

    #[test]
    fn nan_and_infinity_are_read_as_such() {
        let p = parser();
        assert!(p.parse("val_acc=nan").unwrap().values[0].unwrap().is_nan());
        assert!(p.parse("val_acc: NaN").unwrap().values[0].unwrap().is_nan());
        assert!(p.parse(r#"{"val_acc": NaN, "epoch": 2}"#).unwrap().values[0].unwrap().is_nan());
        assert_eq!(p.parse("val_acc=-inf").unwrap().values[0], Some(f64::NEG_INFINITY));
    }

    #[test]
    fn several_metrics_per_line_or_spread_over_lines() {
        let p = MetricParser::new(vec!["loss".into(), "latency_ms".into()], None);
        assert_eq!(p.parse("loss=0.5 latency_ms=12").unwrap().values, vec![Some(0.5), Some(12.0)]);
        assert_eq!(p.parse("latency_ms: 9").unwrap().values, vec![None, Some(9.0)]);
    }
}
