//! Scales (data to pixels, linear, log or categorical), their ticks at nice
//! steps, number formatting, and the colour scales.

use ferrotune_analysis::plot::ParamAxis;

/// How a scale maps its data.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Numbers, linearly; integer-valued when `int` (ticks at whole steps).
    Linear { int: bool },
    /// Positive numbers, by their logarithm.
    Log,
    /// Categories at 0, 1, ...; the labels.
    Band(Vec<String>),
}

/// A map from data to pixels along one axis.
#[derive(Debug, Clone)]
pub struct Scale {
    mode: Mode,
    /// The domain, in the mapped space (log10 of the values on a log scale).
    d0: f64,
    d1: f64,
    /// The pixel range (`r0` for `d0`).
    r0: f64,
    r1: f64,
}

impl Scale {
    /// A numeric scale over `[min, max]` (widened when empty), log when
    /// asked and the range is positive, padded by `pad` of the range on
    /// each side.
    pub fn numeric(min: f64, max: f64, log: bool, int: bool, (r0, r1): (f64, f64), pad: f64) -> Scale {
        let (min, max) = if min.is_finite() && max.is_finite() && min <= max { (min, max) } else { (0.0, 1.0) };
        let log = log && min > 0.0;
        let (mut d0, mut d1) = if log { (min.log10(), max.log10()) } else { (min, max) };
        if d1 - d0 <= f64::EPSILON * d0.abs().max(d1.abs()).max(1e-300) {
            let half = if log {
                0.5
            } else if int {
                1.0
            } else {
                (d0.abs() * 0.1).max(0.5)
            };
            d0 -= half;
            d1 += half;
        } else {
            let margin = (d1 - d0) * pad;
            d0 -= margin;
            d1 += margin;
        }
        let mode = if log { Mode::Log } else { Mode::Linear { int } };
        Scale { mode, d0, d1, r0, r1 }
    }

    /// A categorical scale: the labels at 0, 1, ... with half a step on each side.
    pub fn band(labels: Vec<String>, (r0, r1): (f64, f64)) -> Scale {
        let n = labels.len().max(1) as f64;
        Scale { mode: Mode::Band(labels), d0: -0.5, d1: n - 0.5, r0, r1 }
    }

    /// The scale of a parameter's axis.
    pub fn for_axis(axis: &ParamAxis, range: (f64, f64), pad: f64) -> Scale {
        match axis {
            ParamAxis::Numeric { min, max, log, int, .. } => Scale::numeric(*min, *max, *log, *int, range, pad),
            ParamAxis::Categorical { labels, .. } => Scale::band(labels.clone(), range),
        }
    }

    /// The pixel of a value (values outside the domain map outside the range;
    /// a non-positive value on a log scale to the range's start).
    pub fn map(&self, v: f64) -> f64 {
        let t = match self.mode {
            Mode::Log if v > 0.0 => v.log10(),
            Mode::Log => self.d0,
            _ => v,
        };
        let span = self.d1 - self.d0;
        if span == 0.0 || !span.is_finite() {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (t - self.d0) / span * (self.r1 - self.r0)
    }

    /// The pixel length of the range.
    pub fn length(&self) -> f64 {
        (self.r1 - self.r0).abs()
    }

    /// Ticks: (value, label), about one per `spacing` pixels, at nice steps
    /// (1, 2 or 5 times a power of ten; powers of ten on a log scale).
    pub fn ticks(&self, spacing: f64) -> Vec<(f64, String)> {
        let target = (self.length() / spacing).floor().clamp(2.0, 12.0);
        match &self.mode {
            Mode::Band(labels) => {
                let stride = ((labels.len() as f64) / (self.length() / 14.0).max(1.0)).ceil().max(1.0) as usize;
                labels.iter().enumerate().step_by(stride).map(|(i, l)| (i as f64, l.clone())).collect()
            }
            Mode::Linear { int } => linear_ticks(self.d0, self.d1, target, *int),
            Mode::Log => log_ticks(self.d0, self.d1, target),
        }
    }
}

/// 1, 2 or 5 times a power of ten, the nearest at or above `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

fn linear_ticks(d0: f64, d1: f64, target: f64, int: bool) -> Vec<(f64, String)> {
    let mut step = nice_step((d1 - d0) / target);
    // At least two ticks where a smaller nice step gives them (1, 2, 3 on
    // an axis of 0.9 to 3.1, not 2 alone).
    while step > 0.0 && ((d1 / step).floor() - (d0 / step).ceil()) < 1.0 && !(int && step <= 1.0) {
        step = nice_step(step / 2.5);
        if step < (d1 - d0).abs() * 1e-6 {
            break;
        }
    }
    if int {
        step = step.max(1.0);
    }
    let first = (d0 / step).ceil();
    let last = (d1 / step).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 1000.0 {
        return Vec::new();
    }
    let mut ticks = Vec::new();
    let mut k = first;
    while k <= last {
        let v = k * step;
        // -0 and float noise (0.30000000000000004) never reach a label.
        let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
        ticks.push((v, tick_label(v, step)));
        k += 1.0;
    }
    ticks
}

fn log_ticks(d0: f64, d1: f64, target: f64) -> Vec<(f64, String)> {
    let (first, last) = (d0.ceil(), d1.floor());
    let decades = last - first + 1.0;
    if decades >= 3.0 && decades.is_finite() {
        let stride = (decades / target).ceil().max(1.0);
        let mut ticks = Vec::new();
        let mut k = first;
        while k <= last {
            ticks.push((10f64.powf(k), power_label(k)));
            k += stride;
        }
        return ticks;
    }
    // Two powers of ten or fewer: 1, 2 and 5 times each.
    let mut ticks = Vec::new();
    let mut k = d0.floor();
    while k <= d1.ceil() && ticks.len() < 50 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powf(k);
            let t = v.log10();
            if t >= d0 - 1e-12 && t <= d1 + 1e-12 {
                ticks.push((v, tick_label(v, 10f64.powf(k))));
            }
        }
        k += 1.0;
    }
    if ticks.len() >= 2 {
        return ticks;
    }
    // Within a factor of two or so: linear ticks over the values.
    linear_ticks(10f64.powf(d0), 10f64.powf(d1), target.min(5.0), false)
}

fn power_label(k: f64) -> String {
    match k as i64 {
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        3 => "1000".into(),
        -1 => "0.1".into(),
        -2 => "0.01".into(),
        k => format!("1e{k}"),
    }
}

/// A tick's label: as many decimals as the step needs, or an exponent for
/// very large or small numbers.
pub fn tick_label(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return short_exp(v, 3);
    }
    let decimals = (-(step.abs().log10().floor())).clamp(0.0, 8.0) as usize;
    format!("{v:.decimals$}")
}

/// A number in exponent form with at most `digits` significant digits:
/// `1.5e-7`, `2e6`.
fn short_exp(v: f64, digits: usize) -> String {
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let mantissa =
                if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
            format!("{mantissa}e{exp}")
        }
        None => s,
    }
}

/// A value for a tooltip or a legend: six significant digits.
pub fn value_label(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-4..1e7).contains(&a) {
        return short_exp(v, 6);
    }
    let decimals = (5 - a.log10().floor() as i64).clamp(0, 10) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A count with thousands separators: 100,000.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as a short duration: 42 s, 3.5 min, 2.1 h.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "-".into();
    }
    if secs < 60.0 {
        format!("{} s", value_label((secs * 10.0).round() / 10.0))
    } else if secs < 3600.0 {
        format!("{:.1} min", secs / 60.0)
    } else if secs < 86400.0 * 2.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} d", secs / 86400.0)
    }
}

/// Viridis (matplotlib's perceptually uniform scale), from dark purple at 0
/// to yellow at 1, by interpolating nine of its colours.
pub fn viridis(t: f64) -> String {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A colour for a value in `[lo, hi]`, on a log scale when asked and
/// possible: the end that matters (better values, later trials) dark, so
/// it stands out on white.
#[derive(Debug, Clone, Copy)]
pub struct ColorScale {
    /// The range's ends.
    pub lo: f64,
    /// End.
    pub hi: f64,
    /// Whether the colour follows the logarithm of the value.
    pub log: bool,
    /// Whether higher values are darker (else lower ones are).
    pub high_dark: bool,
}

impl ColorScale {
    /// Over `[lo, hi]`; log only when the range is positive.
    pub fn new(lo: f64, hi: f64, log: bool, high_dark: bool) -> ColorScale {
        let log = log && lo > 0.0 && hi > 0.0;
        ColorScale { lo, hi, log, high_dark }
    }

    /// The position of `v` on the scale, 0 at `lo`, 1 at `hi`.
    pub fn position(&self, v: f64) -> f64 {
        let (a, b, x) =
            if self.log { (self.lo.log10(), self.hi.log10(), v.max(self.lo).log10()) } else { (self.lo, self.hi, v) };
        if b - a <= 0.0 || !(b - a).is_finite() {
            0.5
        } else {
            ((x - a) / (b - a)).clamp(0.0, 1.0)
        }
    }

    /// The colour of `v`.
    pub fn color(&self, v: f64) -> String {
        let t = self.position(v);
        viridis(if self.high_dark { 1.0 - t } else { t })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.13), 0.2);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(1.0), 1.0);
    }

    #[test]
    fn linear_ticks_are_round() {
        let s = Scale::numeric(0.0, 1.0, false, false, (0.0, 500.0), 0.0);
        let labels: Vec<String> = s.ticks(80.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let s = Scale::numeric(0.0, 3.0, false, true, (0.0, 500.0), 0.0);
        let labels: Vec<String> = s.ticks(40.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["0", "1", "2", "3"]);
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let s = Scale::numeric(1e-5, 1e-1, true, false, (0.0, 500.0), 0.0);
        let labels: Vec<String> = s.ticks(60.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["1e-5", "1e-4", "1e-3", "0.01", "0.1"]);
        assert!((s.map(1e-3) - 250.0).abs() < 1e-9);
        // Within a decade: 1-2-5 ticks.
        let s = Scale::numeric(1.5, 9.0, true, false, (0.0, 500.0), 0.0);
        let labels: Vec<String> = s.ticks(60.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["2", "5"]);
    }

    #[test]
    fn a_single_value_still_has_a_range() {
        let s = Scale::numeric(3.0, 3.0, false, false, (0.0, 100.0), 0.05);
        assert!((s.map(3.0) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn labels_and_counts() {
        assert_eq!(count(100000), "100,000");
        assert_eq!(count(999), "999");
        assert_eq!(value_label(0.123456789), "0.123457");
        assert_eq!(value_label(1234.5), "1234.5");
        assert_eq!(value_label(2.5e-7), "2.5e-7");
        assert_eq!(tick_label(2e6, 1e6), "2e6");
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
    }
}
