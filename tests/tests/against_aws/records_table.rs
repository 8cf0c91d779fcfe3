//! The DynamoDB table the moto tests run on is the one `template.yaml` deploys: the same
//! key attributes and the same indexes, so a change to either shows here first.

use certport_tests::fixtures::template_resource;
use certport_tests::moto::{table_attributes, TABLE_INDEXES, TABLE_KEY};

/// The lines of the `RecordsTable` resource, trimmed.
fn records_table() -> Vec<String> {
    template_resource("RecordsTable")
        .lines()
        .map(|line| line.trim().to_string())
        .collect()
}

/// Each `AttributeName` in the lines from `section:` to the next section at its depth.
fn names_in(lines: &[String], section: &str) -> Vec<String> {
    let at = lines
        .iter()
        .position(|l| l == section)
        .unwrap_or_else(|| panic!("no {section}"));
    lines[at + 1..]
        .iter()
        .take_while(|l| l.starts_with('-') || l.starts_with("AttributeType") || l.starts_with("KeyType"))
        .filter_map(|l| l.strip_prefix("- AttributeName: "))
        .map(str::to_string)
        .collect()
}

/// (name, hash, range, projection) of each index under `GlobalSecondaryIndexes:`.
fn template_indexes(lines: &[String]) -> Vec<(String, String, Option<String>, String)> {
    let mut indexes = Vec::new();
    let mut key: Option<String> = None;
    for line in lines.iter().skip_while(|l| *l != "GlobalSecondaryIndexes:") {
        if let Some(name) = line.strip_prefix("- IndexName: ") {
            indexes.push((name.to_string(), String::new(), None, String::new()));
        } else if let Some(attribute) = line.strip_prefix("- AttributeName: ") {
            key = Some(attribute.to_string());
        } else if let (Some(kind), Some(index)) = (line.strip_prefix("KeyType: "), indexes.last_mut()) {
            match kind {
                "HASH" => index.1 = key.take().unwrap(),
                _ => index.2 = key.take(),
            }
        } else if let (Some(projection), Some(index)) =
            (line.strip_prefix("ProjectionType: "), indexes.last_mut())
        {
            index.3 = projection.to_string();
        }
    }
    indexes
}

#[test]
fn the_moto_table_has_the_templates_key_attributes_and_indexes() {
    let lines = records_table();
    assert_eq!(names_in(&lines, "KeySchema:"), [TABLE_KEY.0, TABLE_KEY.1]);
    assert_eq!(names_in(&lines, "AttributeDefinitions:"), table_attributes());
    let ours: Vec<_> = TABLE_INDEXES
        .iter()
        .map(|(name, hash, range, projection)| {
            (
                name.to_string(),
                hash.to_string(),
                range.map(str::to_string),
                projection.to_string(),
            )
        })
        .collect();
    assert_eq!(template_indexes(&lines), ours);
}
