//! `certport profiles`: enrollment profiles and their source fields mapping (API A set-up).

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::api::{ApiClient, ClientError};
use super::output::{print_json, table, text, Output};
use super::Outcome;

#[derive(clap::Subcommand, Debug)]
pub enum ProfilesCommand {
    /// Creates an enrollment profile.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "CERTIFICATE_IMPORT")]
        enrollment_method: String,
    },
    /// Shows a profile.
    Get { id: String },
    /// Sets a profile's format and source fields mapping from a sample .pem or .xml.
    Map {
        id: String,
        /// A sample file; its extension (.pem or .xml) sets the format imports must use.
        #[arg(long)]
        sample: PathBuf,
        /// TARGET=SOURCE, e.g. device_identifier=subject.common_name (repeat for more
        /// fields). Sources: subject.common_name, subject.organization_name,
        /// subject.organization_unit, subject.country, subject.state, subject.locality,
        /// subject.email, subject.serial_number, san.dns_name, san.ip_address, san.email,
        /// san.uri, serial_number, issuer.common_name, fingerprint_sha256.
        #[arg(long = "map", value_name = "TARGET=SOURCE", required = true, value_parser = target_equals_source)]
        mappings: Vec<(String, String)>,
    },
}

pub async fn run(
    client: &ApiClient,
    output: Output,
    command: ProfilesCommand,
) -> Result<Outcome, ClientError> {
    let shown = match command {
        ProfilesCommand::Create {
            name,
            enrollment_method,
        } => {
            let body = json!({"name": name, "enrollment_method": enrollment_method});
            let created = client.post_json("/iot/api/v1/enrollment-profile", &body).await?;
            if output == Output::Table {
                // The id alone on standard output: `P=$(certport profiles create --name x)`.
                eprintln!("created enrollment profile {name}");
                println!("{}", text(&created["id"]));
                return Ok(Outcome::Success);
            }
            created
        }
        ProfilesCommand::Get { id } => {
            client
                .get(&format!("/iot/api/v1/enrollment-profile/{id}"))
                .await?
        }
        ProfilesCommand::Map { id, sample, mappings } => {
            let mapping: Map<String, Value> = mappings
                .into_iter()
                .map(|(target, source)| (target, Value::from(source)))
                .collect();
            let data = std::fs::read(&sample)
                .map_err(|e| ClientError::Input(format!("cannot read {}: {e}", sample.display())))?;
            let name = sample
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(data).file_name(name))
                .text("mapping", Value::Object(mapping).to_string());
            client
                .post_form(
                    &format!("/iot/api/v1/enrollment-profile/{id}/source-fields-mapping"),
                    form,
                )
                .await?
        }
    };
    match output {
        Output::Json => print_json(&shown),
        Output::Table => print_profile(&shown),
    }
    Ok(Outcome::Success)
}

/// `--map TARGET=SOURCE`, checked as clap parses it (a mistake is a usage error).
fn target_equals_source(mapping: &str) -> Result<(String, String), String> {
    mapping
        .split_once('=')
        .map(|(target, source)| (target.trim().to_string(), source.trim().to_string()))
        .filter(|(target, source)| !target.is_empty() && !source.is_empty())
        .ok_or_else(|| {
            format!("`{mapping}` is not TARGET=SOURCE, e.g. device_identifier=subject.common_name")
        })
}

/// A profile, or a mapping preview (which holds the profile and the mapped values).
fn print_profile(shown: &Value) {
    let profile = shown.get("enrollment_profile").unwrap_or(shown);
    let mut rows = vec![
        vec!["id".to_string(), text(&profile["id"])],
        vec!["name".to_string(), text(&profile["name"])],
        vec![
            "enrollment method".to_string(),
            text(&profile["enrollment_method"]),
        ],
        vec!["format".to_string(), text(&profile["format"])],
    ];
    if let Some(mapping) = profile["source_fields_mapping"].as_object() {
        for (target, source) in mapping {
            rows.push(vec![format!("map {target}"), text(source)]);
        }
    }
    if let Some(mapped) = shown["mapped_fields"].as_object() {
        for (target, value) in mapped {
            rows.push(vec![format!("sample {target}"), text(value)]);
        }
    }
    println!("{}", table(&["field", "value"], &rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_are_target_equals_source() {
        assert_eq!(
            target_equals_source(" site = subject.locality"),
            Ok(("site".into(), "subject.locality".into()))
        );
        for wrong in ["device_identifier", "=x", "a:b"] {
            assert!(target_equals_source(wrong).is_err(), "{wrong}");
        }
    }
}
