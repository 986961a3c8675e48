//! Command templates: `{name}` placeholders, `{{` and `}}` for literal
//! braces, checked against the parameters and filled in one pass.

use super::{CommandSpec, ConfigError, ErrFn, ParamSpec};

/// A command template cut into literal text and `{name}` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text to copy as it is (`{{` and `}}` already turned into braces).
    Text(String),
    /// A placeholder's name.
    Placeholder(String),
}

/// Cut a template into pieces, with `{{` and `}}` as literal braces.
pub fn template_pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.next_if(|&(_, c)| c == '{').is_some() => text.push('{'),
            '}' if chars.next_if(|&(_, c)| c == '}').is_some() => text.push('}'),
            '{' => {
                let rest = template.get(i + 1..).unwrap_or_default();
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed '{{' at column {} (write '{{{{' for a literal brace)", i + 1))?;
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Placeholder(rest.get(..end).unwrap_or_default().to_owned()));
                // Skip to just past the closing brace (by byte position: a
                // name may hold multi-byte characters).
                while chars.next_if(|&(j, _)| j <= i + 1 + end).is_some() {}
            }
            '}' => return Err(format!("unmatched '}}' at column {} (write '}}}}' for a literal brace)", i + 1)),
            c => text.push(c),
        }
    }
    pieces.push(Piece::Text(text));
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    Ok(pieces)
}

/// Placeholders `{name}` in a command, with `{{` and `}}` as literal braces.
pub fn placeholders(template: &str) -> Result<Vec<String>, String> {
    Ok(template_pieces(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect())
}

/// The template with each placeholder replaced by `value(name)`, in one
/// pass: a value is never searched for placeholders itself (a parameter
/// whose value is `{b}` must not pull `b`'s value inside its quotes).
pub fn fill_template(template: &str, value: impl Fn(&str) -> String) -> String {
    match template_pieces(template) {
        Ok(pieces) => pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Placeholder(name) => value(name),
            })
            .collect(),
        // The config's check rejects such templates before any trial.
        Err(_) => template.to_owned(),
    }
}

/// Placeholders that are not parameters.
pub const BUILTIN_PLACEHOLDERS: [&str; 4] = ["args", "params_file", "trial_number", "study_name"];

pub(super) fn check_placeholders(
    command: &CommandSpec,
    params: &[ParamSpec],
    err: &ErrFn<'_>,
) -> Result<(), ConfigError> {
    let parts: Vec<&str> = match command {
        CommandSpec::Shell(s) => vec![s.as_str()],
        CommandSpec::Args(a) => a.iter().map(String::as_str).collect(),
    };
    for part in parts {
        for name in placeholders(part).map_err(|m| err("command.run", m))? {
            if BUILTIN_PLACEHOLDERS.contains(&name.as_str()) {
                continue;
            }
            match params.iter().find(|p| p.name == name) {
                None => {
                    return Err(err(
                        "command.run",
                        format!("placeholder {{{name}}} names no parameter (parameters: {}; also {{args}}, {{params_file}}, {{trial_number}}, {{study_name}}){}",
                            params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                                format!("; if the braces are the program's own (awk '{{ print }}', a shell block), write them doubled: {{{{{name}}}}}")
                            } else {
                                String::new()
                            }),
                    ))
                }
                Some(p) if p.when.is_some() => {
                    return Err(err(
                        "command.run",
                        format!("placeholder {{{name}}} names a conditional parameter, which some trials do not have; pass it with {{args}}, the environment or {{params_file}}"),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
