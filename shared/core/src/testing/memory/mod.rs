//! In-memory fakes of every port, for focused tests of the use cases: the same
//! contracts as the real adapters (their own tests run them), no disk, no network.

mod keys;
mod objects;
mod shards;
mod store;

use std::sync::Arc;

pub use keys::MemoryKeys;
pub use objects::MemoryObjects;
pub use shards::MemoryShardQueue;
pub use store::MemoryStore;

use crate::app::{Deps, KeyServices, Limits};

/// Every port in memory, with `limits`.
pub fn memory_deps(limits: Limits) -> Deps {
    let store = Arc::new(MemoryStore::default());
    Deps {
        objects: Arc::new(MemoryObjects::default()),
        tenants: store.clone(),
        jobs: store.clone(),
        inventory: store,
        keys: KeyServices {
            dek: Arc::new(MemoryKeys::default()),
            data: Arc::new(MemoryKeys::default()),
        },
        limits,
        shards: None,
    }
}

/// Every port in memory, with a shard queue the test drains: uploads from
/// `limits.shard_upload_bytes` on are split into shards.
pub fn memory_sharded_deps(limits: Limits) -> (Deps, Arc<MemoryShardQueue>) {
    let queue = Arc::new(MemoryShardQueue::default());
    let deps = Deps {
        shards: Some(queue.clone()),
        ..memory_deps(limits)
    };
    (deps, queue)
}

#[cfg(test)]
mod contract {
    use super::*;

    crate::store_contract_tests!(MemoryStore::default());

    #[tokio::test]
    async fn memory_objects_pass_the_object_store_contract() {
        crate::testing::contracts::object_store_contract(&MemoryObjects::default()).await;
    }

    #[tokio::test]
    async fn memory_keys_pass_the_key_service_contract() {
        crate::testing::contracts::key_service_contract(&MemoryKeys::default()).await;
    }
}
