//! Upload URLs of `certport serve`: the body streams to disk as it arrives (chunked or
//! not), and only a body of exactly the declared size is stored and processed.

use crate::support::{start_server, Server};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A profile mapped on a sample and an upload URL for `size` bytes: (job id, URL).
async fn upload_url(server: &Server, client: &reqwest::Client, size: usize) -> (String, String) {
    let profile = server.mapped_pem_profile(client).await;
    let created = server
        .upload_url(client, &profile, "devices.zip", size as u64)
        .await;
    let url = created["upload"]["url"].as_str().unwrap().to_string();
    (created["id"].as_str().unwrap().to_string(), url)
}

/// PUTs `chunks` with `Transfer-Encoding: chunked` (no length declared up front, as
/// streaming clients send): the response status.
async fn put_chunked(url: &str, chunks: &[&[u8]]) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/zip\r\n\
         if-none-match: *\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in chunks {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let status = String::from_utf8_lossy(&response[9..12]).to_string();
    status.parse().unwrap()
}

fn devices_zip() -> Vec<u8> {
    let a = self_signed(KeyType::EcP256, "/CN=meter-a", None).pem;
    let b = self_signed(KeyType::EcP256, "/CN=meter-b", None).pem;
    zip_of(&[("a.pem", a.as_bytes()), ("b.pem", b.as_bytes())])
}

#[tokio::test]
async fn a_chunked_upload_of_the_declared_size_is_stored_and_imported() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let client = certport_tests::http_client();
    let zip = devices_zip();
    let (job, url) = upload_url(&server, &client, zip.len()).await;
    let (first, second) = zip.split_at(zip.len() / 2);
    assert_eq!(put_chunked(&url, &[first, second]).await, 200);
    let job = server.finished_job(&client, &job).await;
    assert_eq!(
        (job["status"].clone(), job["total_certificates"].clone()),
        (json!("COMPLETED"), json!(2))
    );
}

#[tokio::test]
async fn a_chunked_upload_longer_or_shorter_than_declared_is_refused_and_not_stored() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let client = certport_tests::http_client();
    let zip = devices_zip();
    let (job, url) = upload_url(&server, &client, zip.len()).await;
    assert_eq!(put_chunked(&url, &[&zip, b"trailing"]).await, 403);
    assert_eq!(put_chunked(&url, &[&zip[..zip.len() - 1]]).await, 403);
    let (status, body) = server
        .call(
            &client,
            reqwest::Method::GET,
            &format!("/iot/api/v1/certificate-import/job/{job}"),
            None,
        )
        .await;
    assert_eq!((status, body["status"].clone()), (200, json!("PENDING")));
    // The same URL still takes the right body.
    assert_eq!(put_chunked(&url, &[&zip]).await, 200);
    assert_eq!(server.finished_job(&client, &job).await["status"], "COMPLETED");
}

#[tokio::test]
async fn an_upload_url_takes_one_upload() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let client = certport_tests::http_client();
    let zip = devices_zip();
    let (job, url) = upload_url(&server, &client, zip.len()).await;
    assert_eq!(put_chunked(&url, &[&zip]).await, 200);
    // A client that reads the answer before sending the body: refused before it is read.
    let again = client
        .put(&url)
        .header("content-type", "application/zip")
        .header("if-none-match", "*")
        .body(zip.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 412, "a second upload is refused");
    let job = server.finished_job(&client, &job).await;
    assert_eq!(job["total_certificates"], json!(2), "the first upload's: {job}");
}

#[tokio::test]
async fn an_upload_without_the_headers_its_url_came_with_is_refused_as_s3_refuses_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let client = certport_tests::http_client();
    let zip = devices_zip();
    let (_, url) = upload_url(&server, &client, zip.len()).await;
    let put = client
        .put(&url)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403);
    let refused: serde_json::Value = put.json().await.unwrap();
    assert!(refused.to_string().contains("if-none-match"), "{refused}");
}
