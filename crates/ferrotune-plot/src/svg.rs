//! A small writer of SVG elements. Every text and attribute value passes
//! through [`escape`], because parameter names, categorical labels and
//! objective names are the user's text.

use std::fmt::Write;

/// Text made safe for XML content and attribute values: the five special
/// characters as entities, and characters XML 1.0 cannot carry (most control
/// characters, lone surrogates cannot occur in a `str`) as U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate or length as SVG text: at most two decimals, no trailing
/// zeros, and 0 for a non-finite number (which SVG cannot parse).
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_owned()
    }
}

/// An element's attributes, written as they are added.
#[derive(Default)]
pub struct Attrs(String);

impl Attrs {
    /// No attributes.
    pub fn new() -> Self {
        Attrs(String::new())
    }

    /// A text attribute (escaped).
    pub fn s(mut self, key: &str, value: &str) -> Self {
        let _ = write!(self.0, " {key}=\"{}\"", escape(value));
        self
    }

    /// A number attribute (a coordinate or length).
    pub fn n(mut self, key: &str, value: f64) -> Self {
        let _ = write!(self.0, " {key}=\"{}\"", num(value));
        self
    }

    /// An integer attribute (a trial number).
    pub fn u(mut self, key: &str, value: u64) -> Self {
        let _ = write!(self.0, " {key}=\"{value}\"");
        self
    }

    /// The `class` attribute.
    pub fn class(self, class: &str) -> Self {
        self.s("class", class)
    }
}

/// An SVG document being written.
pub struct Svg {
    out: String,
}

/// The fonts asked for, in order; DejaVu Sans first because it is what a
/// Debian machine has, and resvg picks the first family it finds.
pub const FONT_FAMILY: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

impl Svg {
    /// A document of `width` by `height` pixels with a white background.
    pub fn new(width: f64, height: f64) -> Self {
        let mut out = String::with_capacity(64 * 1024);
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"{FONT_FAMILY}\" font-size=\"11\">",
            w = num(width),
            h = num(height)
        );
        let mut svg = Svg { out };
        svg.leaf("rect", Attrs::new().n("x", 0.0).n("y", 0.0).n("width", width).n("height", height).s("fill", "white"));
        svg
    }

    /// `<tag attrs/>`.
    pub fn leaf(&mut self, tag: &str, attrs: Attrs) {
        let _ = writeln!(self.out, "<{tag}{}/>", attrs.0);
    }

    /// `<tag attrs><title>tooltip</title></tag>`: a mark with a tooltip.
    pub fn titled(&mut self, tag: &str, attrs: Attrs, tooltip: &str) {
        let _ = writeln!(self.out, "<{tag}{}><title>{}</title></{tag}>", attrs.0, escape(tooltip));
    }

    /// `<text x y attrs>content</text>`.
    pub fn text(&mut self, x: f64, y: f64, content: &str, attrs: Attrs) {
        let _ = writeln!(self.out, "<text x=\"{}\" y=\"{}\"{}>{}</text>", num(x), num(y), attrs.0, escape(content));
    }

    /// `<tag attrs>`; close it with [`Svg::close`].
    pub fn open(&mut self, tag: &str, attrs: Attrs) {
        let _ = writeln!(self.out, "<{tag}{}>", attrs.0);
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) {
        let _ = writeln!(self.out, "</{tag}>");
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, attrs: Attrs) {
        self.leaf("line", attrs.n("x1", x1).n("y1", y1).n("x2", x2).n("y2", y2).s("stroke", stroke));
    }

    /// The document's text.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// A `points` attribute for a polyline.
pub fn points(points: impl IntoIterator<Item = (f64, f64)>) -> String {
    let mut out = String::new();
    for (x, y) in points {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{},{}", num(x), num(y));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_user_text_safe() {
        assert_eq!(escape(r#"a<b>&"c"'d'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
        assert_eq!(escape("x\u{1}y"), "x\u{FFFD}y");
        assert_eq!(escape("héllo\n"), "héllo\n");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.256), "1.26");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(num(f64::NAN), "0");
    }
}
