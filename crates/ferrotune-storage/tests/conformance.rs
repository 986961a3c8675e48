//! The storage contract, checked for every backend in this crate.

use std::sync::Arc;

use ferrotune_core::Storage;
use ferrotune_storage::{InMemoryStorage, SqliteStorage};

mod memory {
    use super::*;
    ferrotune_storage::storage_conformance_tests!(|| (Arc::new(InMemoryStorage::new()) as Arc<dyn Storage>, ()));
}

mod sqlite {
    use super::*;
    fn fresh() -> (Arc<dyn Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("study.db")).unwrap();
        (Arc::new(storage), dir)
    }
    ferrotune_storage::storage_conformance_tests!(fresh);
}
