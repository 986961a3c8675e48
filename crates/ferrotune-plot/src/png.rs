//! The PNG face: the SVG rasterized by resvg with the system's fonts.
//!
//! Without any font, resvg still draws every shape and leaves the text
//! out; [`font_warning`] says so, so the CLI can tell the user.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::svg::FONT_FAMILY;
use crate::Error;

/// The system's fonts, loaded once per process.
fn fonts() -> &'static Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        // `sans-serif` falls back to a family the machine has: the first
        // of ours it finds, else any.
        let families: Vec<String> = db.faces().flat_map(|f| f.families.iter().map(|(name, _)| name.clone())).collect();
        let wanted = FONT_FAMILY.split(',').map(str::trim).find(|w| families.iter().any(|f| f == w));
        if let Some(family) = wanted.map(str::to_owned).or_else(|| families.first().cloned()) {
            db.set_sans_serif_family(family);
        }
        Arc::new(db)
    })
}

/// `Some(why)` when no font was found, so a PNG would have no text.
pub fn font_warning() -> Option<String> {
    fonts().is_empty().then(|| {
        "no system font found: the PNG has its shapes but no text; install a font (e.g. the \
         fonts-dejavu-core package) or write SVG or HTML"
            .to_owned()
    })
}

/// The PNG of an SVG document, at the document's size.
pub fn rasterize(svg: &str) -> Result<Vec<u8>, Error> {
    rasterize_with(svg, Arc::clone(fonts()))
}

fn rasterize_with(svg: &str, fontdb: Arc<fontdb::Database>) -> Result<Vec<u8>, Error> {
    let options = usvg::Options { fontdb, font_family: "sans-serif".into(), ..Default::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| Error::Png(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| Error::Png(format!("cannot make a {}x{} image", size.width(), size.height())))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| Error::Png(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without any font the shapes are still drawn (the text is left out).
    #[test]
    fn shapes_render_without_fonts() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="white"/><rect x="0" y="0" width="10" height="10" fill="#ff0000"/><text x="12" y="8">hi</text></svg>"##;
        let png = rasterize_with(svg, Arc::new(fontdb::Database::new())).unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (20, 10));
        let red = pixmap.pixel(5, 5).unwrap();
        assert_eq!((red.red(), red.green(), red.blue()), (255, 0, 0));
    }
}
