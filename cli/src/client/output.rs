use std::fmt::Display;

use serde::Serialize;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// The service's JSON, for scripts.
    Json,
}

pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot print the answer as JSON: {e}"),
    }
}

/// Left-aligned columns separated by two spaces; cells are single-line.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean = |cell: &str| cell.replace(['\n', '\r', '\t'], " ");
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(clean(cell).chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_string()).collect())];
    out.extend(
        rows.iter()
            .map(|row| line(row.iter().map(|c| clean(c)).collect())),
    );
    out.join("\n")
}

/// An optional value as a table cell: empty when absent.
pub fn shown(value: &Option<impl Display>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns_and_flattens_cells() {
        let rendered = table(
            &["file", "status"],
            &[
                vec!["a.p12".into(), "IMPORTED".into()],
                vec!["longer-name.p12".into(), "FAILED\nx".into()],
            ],
        );
        assert_eq!(
            rendered,
            "file             status\na.p12            IMPORTED\nlonger-name.p12  FAILED x"
        );
    }
}
