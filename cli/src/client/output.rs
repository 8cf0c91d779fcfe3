use serde_json::Value;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// The service's JSON, for scripts.
    Json,
}

pub fn print_json(value: &Value) {
    println!("{value:#}");
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

pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
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
