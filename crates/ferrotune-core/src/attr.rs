//! Floats JSON cannot write, in attributes.
//!
//! Attributes are JSON values ([`AttrValue`]), and JSON has no NaN or
//! infinity, while Optuna's attributes (Python's `json`, which writes
//! `NaN` and `Infinity`) do. Such a float is held as a one-key object,
//! `{"$float": "NaN"}` (or `"Infinity"`, `"-Infinity"`, Python's
//! spellings): plain JSON, so every storage keeps it as it keeps any
//! attribute, and the faces turn it back into the float. Decided here, once,
//! rather than in each storage's encoding, because the in-memory storage
//! holds [`AttrValue`]s and never encodes them.

use crate::AttrValue;

/// The key of the object standing for a float JSON cannot write.
pub const NON_FINITE_FLOAT_KEY: &str = "$float";

/// A float as an attribute value: a JSON number, or for NaN and the
/// infinities the object [`NON_FINITE_FLOAT_KEY`] names.
pub fn float_attr(value: f64) -> AttrValue {
    match serde_json::Number::from_f64(value) {
        Some(number) => AttrValue::Number(number),
        None => {
            let spelling = if value.is_nan() {
                "NaN"
            } else if value > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            let mut object = serde_json::Map::new();
            object.insert(NON_FINITE_FLOAT_KEY.to_owned(), AttrValue::String(spelling.to_owned()));
            AttrValue::Object(object)
        }
    }
}

/// The float an attribute value stands for, if it is a NaN or an infinity
/// written by [`float_attr`] (a JSON number is read as a number, not here).
pub fn non_finite_float(value: &AttrValue) -> Option<f64> {
    let object = value.as_object().filter(|o| o.len() == 1)?;
    match object.get(NON_FINITE_FLOAT_KEY)?.as_str()? {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_round_trip_through_json_text() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let text = serde_json::to_string(&float_attr(value)).unwrap();
            let back: AttrValue = serde_json::from_str(&text).unwrap();
            let float = non_finite_float(&back).unwrap();
            assert!(float.to_bits() == value.to_bits() || (float.is_nan() && value.is_nan()), "{text}");
        }
        assert_eq!(float_attr(1.5), serde_json::json!(1.5));
        assert_eq!(non_finite_float(&serde_json::json!(1.5)), None);
        assert_eq!(non_finite_float(&serde_json::json!("NaN")), None);
        assert_eq!(non_finite_float(&serde_json::json!({"$float": "NaN", "other": 1})), None);
        assert_eq!(non_finite_float(&serde_json::json!({"$float": "nan"})), None);
    }
}
