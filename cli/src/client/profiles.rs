//! `certport profiles`: enrollment profiles and their source fields mapping (API A set-up).

use std::path::PathBuf;

use std::collections::BTreeMap;

use certport_core::http::contract::api_a;

use super::api::{ApiClient, ClientError};
use super::output::{print_json, shown, table, Output};
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
    match command {
        ProfilesCommand::Create {
            name,
            enrollment_method,
        } => {
            let body = api_a::NewEnrollmentProfile {
                name,
                enrollment_method,
            };
            let created: api_a::EnrollmentProfile =
                client.post_json("/iot/api/v1/enrollment-profile", &body).await?;
            match output {
                Output::Json => print_json(&created),
                Output::Table => {
                    // The id alone on standard output: `P=$(certport profiles create --name x)`.
                    eprintln!("created enrollment profile {}", created.name);
                    println!("{}", created.id);
                }
            }
        }
        ProfilesCommand::Get { id } => {
            let profile: api_a::EnrollmentProfile = client
                .get(&format!("/iot/api/v1/enrollment-profile/{id}"))
                .await?;
            match output {
                Output::Json => print_json(&profile),
                Output::Table => print_profile(&profile, None),
            }
        }
        ProfilesCommand::Map { id, sample, mappings } => {
            let mapping: BTreeMap<String, String> = mappings.into_iter().collect();
            let data = std::fs::read(&sample)
                .map_err(|e| ClientError::Input(format!("cannot read {}: {e}", sample.display())))?;
            let name = sample
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let mapping = serde_json::to_string(&mapping)
                .map_err(|e| ClientError::Input(format!("cannot write the mapping as JSON: {e}")))?;
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(data).file_name(name))
                .text("mapping", mapping);
            let preview: api_a::MappingPreview = client
                .post_form(
                    &format!("/iot/api/v1/enrollment-profile/{id}/source-fields-mapping"),
                    form,
                )
                .await?;
            match output {
                Output::Json => print_json(&preview),
                Output::Table => print_profile(&preview.enrollment_profile, Some(&preview.mapped_fields)),
            }
        }
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

/// A profile, and the values a sample gave its mapped fields.
fn print_profile(profile: &api_a::EnrollmentProfile, mapped: Option<&BTreeMap<String, String>>) {
    let mut rows = vec![
        vec!["id".to_string(), profile.id.clone()],
        vec!["name".to_string(), profile.name.clone()],
        vec!["enrollment method".to_string(), profile.enrollment_method.clone()],
        vec!["format".to_string(), shown(&profile.format)],
    ];
    for (target, source) in profile.source_fields_mapping.iter().flatten() {
        rows.push(vec![format!("map {target}"), source.clone()]);
    }
    for (target, value) in mapped.into_iter().flatten() {
        rows.push(vec![format!("sample {target}"), value.clone()]);
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
