//! What `serve` said it stored survives it: killed (SIGKILL) the moment an import reports
//! COMPLETED, and started again on the same data directory, every key the import stored
//! opens. Every write an answer depends on is on the disk before the answer (SQLite
//! `synchronous = FULL`, objects and their directory fsynced before their records commit,
//! the local key file fsynced before first use).

use crate::support::start_server;
use crate::support::venafi::{Fixture, POST};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::testing::certs::ca_signed_keystores;
use serde_json::{json, Value};

const KEYSTORES: usize = 8;

#[tokio::test]
async fn every_key_an_import_stored_opens_after_serve_is_killed_as_it_completes() {
    let f = Fixture::start().await;
    let (root, keystores) = ca_signed_keystores(KEYSTORES, "changeit");
    assert_eq!(f.trust(&root).await.0, 201);
    let sealed = f.seal(&[b"changeit".to_vec(), b"a long export passphrase".to_vec()]);
    let items: Vec<Value> = keystores
        .iter()
        .map(|k| json!({"pkcs12Keystore": B64.encode(k), "dekEncryptedPassword": sealed[0]}))
        .collect();
    let job = f.import(items).await;
    let fingerprints: Vec<String> = job["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "IMPORTED", "{}", r["reason"]);
            r["fingerprint"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(fingerprints.len(), KEYSTORES);
    let Fixture { server, data_dir, .. } = f;
    drop(server); // SIGKILL: no shutdown, no flush

    let (server, _) = start_server(data_dir.path());
    let client = certport_tests::http_client();
    for fingerprint in fingerprints {
        let search = json!({"expression": {"field": "fingerprint", "operator": "EQ", "value": fingerprint}});
        let (_, found) = server
            .call(
                &client,
                POST,
                "/outagedetection/v1/certificatesearch",
                Some(search),
            )
            .await;
        let id = found["certificates"][0]["id"].as_str().unwrap();
        let export = json!({"exportFormat": "PEM", "encryptedPrivateKeyPassphrase": sealed[1]});
        let path = format!("/outagedetection/v1/certificates/{id}/keystore");
        let response = client
            .post(server.url(&path))
            .header("tppl-api-key", &server.api_key)
            .json(&export)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "the key of {fingerprint} opens after the restart"
        );
    }
}
