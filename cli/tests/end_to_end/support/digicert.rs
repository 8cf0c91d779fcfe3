//! A `certport serve` driven through API A: profiles, mappings, uploads, jobs.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use super::Server;

impl Server {
    pub async fn create_profile(&self, client: &reqwest::Client, name: &str, method: &str) -> Value {
        let response = client
            .post(self.url("/iot/api/v1/enrollment-profile"))
            .header("x-api-key", &self.api_key)
            .json(&json!({"name": name, "enrollment_method": method}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    pub async fn map(
        &self,
        client: &reqwest::Client,
        profile: &str,
        sample_name: &str,
        sample: Vec<u8>,
        mapping: Value,
    ) -> reqwest::Response {
        let form = Form::new()
            .part("file", Part::bytes(sample).file_name(sample_name.to_string()))
            .text("mapping", mapping.to_string());
        client
            .post(self.url(&format!(
                "/iot/api/v1/enrollment-profile/{profile}/source-fields-mapping"
            )))
            .header("x-api-key", &self.api_key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn upload_zip(
        &self,
        client: &reqwest::Client,
        profile: &str,
        zip: Vec<u8>,
        key: &str,
    ) -> reqwest::Response {
        let form = Form::new().part("file", Part::bytes(zip).file_name("devices batch+1.zip"));
        client
            .post(self.url(&format!("/iot/api/v1/certificate-import/{profile}")))
            .header("x-api-key", key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// A PEM profile whose device identifier is the subject CN, mapped on a fresh sample: its id.
    pub async fn mapped_pem_profile(&self, client: &reqwest::Client) -> String {
        let profile = self.create_profile(client, "meters", "CERTIFICATE_IMPORT").await;
        let profile = profile["id"].as_str().unwrap().to_string();
        let sample = certport_core::testing::certs::self_signed(
            certport_core::testing::certs::KeyType::EcP256,
            "/CN=sample",
            None,
        );
        let mapping = json!({"device_identifier": "subject.common_name"});
        let mapped = self
            .map(client, &profile, "s.pem", sample.pem.into_bytes(), mapping)
            .await;
        assert_eq!(mapped.status(), 200);
        profile
    }

    /// A job and its upload URL for a zip of `size` bytes: the job object with `upload`.
    pub async fn upload_url(
        &self,
        client: &reqwest::Client,
        profile: &str,
        file_name: &str,
        size: u64,
    ) -> Value {
        client
            .post(self.url(&format!("/iot/api/v1/certificate-import/{profile}/upload-url")))
            .header("x-api-key", &self.api_key)
            .json(&json!({"file_name": file_name, "size": size}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls until the job leaves PENDING; the deadline only guards against a hang.
    pub async fn finished_job(&self, client: &reqwest::Client, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let job: Value = client
                .get(self.url(&format!("/iot/api/v1/certificate-import/job/{id}")))
                .header("tppl-api-key", &self.api_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if job["status"] != "PENDING" {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
