use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{InfraResult, ObjectStore};

/// Objects in a map.
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<HashMap<String, Bytes>>,
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.objects.lock().unwrap().insert(key.to_string(), body);
        Ok(())
    }

    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
        Ok(self.objects.lock().unwrap().get(key).cloned())
    }
}
