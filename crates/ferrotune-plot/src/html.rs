//! The HTML face: a self-contained page around the SVG (no scripts, no
//! network), whose marks show their trial and value on hover through the
//! SVG's `<title>` tooltips.

use crate::svg::escape;

/// A page showing `svg`, titled `title`.
pub fn page(svg: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ margin: 16px; font-family: sans-serif; background: #fff; }}\n\
         svg .point:hover, svg .cell:hover, svg .bar:hover {{ stroke: #000; stroke-width: 1.5; }}\n\
         svg .line:hover, svg .curve:hover {{ stroke-width: 3; stroke-opacity: 1; }}\n\
         </style>\n</head>\n<body>\n{svg}</body>\n</html>\n",
        escape(title)
    )
}
