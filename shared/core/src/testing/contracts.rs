//! Contract suites for the object store and the key service; the stores' suites are in
//! `store_contracts` and `concurrent_contracts`.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::ports::{EncryptionContext, KeyService, ObjectStore};

pub async fn key_service_contract(keys: &dyn KeyService) {
    let context: EncryptionContext = BTreeMap::from([
        ("tenant".to_string(), "t1".to_string()),
        ("key_id".to_string(), "k1".to_string()),
    ]);
    let secret = b"an X25519 private key, 32 bytes!";
    let ciphertext = keys.encrypt(secret, &context).await.unwrap();
    assert!(!ciphertext.windows(secret.len()).any(|w| w == secret));
    assert_eq!(
        keys.decrypt(&ciphertext, &context).await.unwrap().as_slice(),
        secret
    );

    let mut wrong = context.clone();
    wrong.insert("tenant".into(), "t2".into());
    assert!(keys.decrypt(&ciphertext, &wrong).await.is_err());
    let mut tampered = ciphertext.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(keys.decrypt(&tampered, &context).await.is_err());

    let data_key = keys.generate_data_key(&context).await.unwrap();
    let unwrapped = keys.decrypt(&data_key.ciphertext, &context).await.unwrap();
    assert_eq!(unwrapped.as_slice(), data_key.plaintext.as_slice());
    let second = keys.generate_data_key(&context).await.unwrap();
    assert_ne!(second.plaintext.as_slice(), data_key.plaintext.as_slice());
}

pub async fn object_store_contract(objects: &dyn ObjectStore) {
    let key = "certificate-import/t1/j1/my certs+v2 (ünïcode).zip";
    assert_eq!(objects.get(key).await.unwrap(), None);
    objects.put(key, Bytes::from_static(b"zip bytes")).await.unwrap();
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"zip bytes"))
    );
    objects.put(key, Bytes::from_static(b"replaced")).await.unwrap();
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"replaced"))
    );
    assert_eq!(
        objects.get("certificate-import/t1/j1/other.zip").await.unwrap(),
        None
    );

    // Concurrent puts of one key (the same event processed twice at once) all succeed,
    // and one of them wins whole.
    let bodies = [b"first".as_slice(), b"second", b"third", b"fourth"];
    let (a, b, c, d) = tokio::join!(
        objects.put(key, Bytes::from_static(bodies[0])),
        objects.put(key, Bytes::from_static(bodies[1])),
        objects.put(key, Bytes::from_static(bodies[2])),
        objects.put(key, Bytes::from_static(bodies[3])),
    );
    for put in [a, b, c, d] {
        put.unwrap();
    }
    let winner = objects.get(key).await.unwrap().unwrap();
    assert!(bodies.contains(&winner.as_ref()), "{winner:?}");

    // Downloads stream the whole object, however many chunks it arrives in.
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    objects.put(key, Bytes::from(large.clone())).await.unwrap();
    let spool = tempfile::tempfile().unwrap();
    let mut writer = tokio::fs::File::from_std(spool.try_clone().unwrap());
    assert!(objects.download(key, &mut writer).await.unwrap());
    tokio::io::AsyncWriteExt::flush(&mut writer).await.unwrap();
    let mut downloaded = Vec::new();
    std::io::Seek::rewind(&mut &spool).unwrap();
    std::io::Read::read_to_end(&mut &spool, &mut downloaded).unwrap();
    assert!(downloaded == large, "the download differs from the object");
    // Ranged reads: any part, cut at the end; the size without reading.
    assert_eq!(objects.size(key).await.unwrap(), Some(large.len() as u64));
    for range in [
        0..1,
        1_000_000..2_500_000,
        2_999_990..3_000_010,
        3_000_000..3_000_001,
    ] {
        let part = objects.get_range(key, range.clone()).await.unwrap().unwrap();
        let end = range.end.min(large.len() as u64) as usize;
        let expected = &large[(range.start as usize).min(end)..end];
        assert!(part.as_ref() == expected, "range {range:?} differs");
    }
    let other = "certificate-import/t1/j1/other.zip";
    assert_eq!(objects.size(other).await.unwrap(), None);
    assert_eq!(objects.get_range(other, 0..10).await.unwrap(), None);
    let mut writer = tokio::fs::File::from_std(tempfile::tempfile().unwrap());
    assert!(!objects
        .download("certificate-import/t1/j1/other.zip", &mut writer)
        .await
        .unwrap());

    // A streamed put stores its chunks in order; one whose body fails stores nothing.
    let chunks: Vec<std::io::Result<Bytes>> =
        vec![Ok(Bytes::from_static(b"str")), Ok(Bytes::from_static(b"eamed"))];
    objects
        .put_stream(key, Box::pin(futures_util::stream::iter(chunks)))
        .await
        .unwrap();
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"streamed"))
    );
    let broken: Vec<std::io::Result<Bytes>> = vec![
        Ok(Bytes::from_static(b"half")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    assert!(objects
        .put_stream(key, Box::pin(futures_util::stream::iter(broken)))
        .await
        .is_err());
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"streamed"))
    );
}
