//! Metadata files: atomic rkyv round trips on real files, typed errors for missing and corrupt
//! files.

mod common;

use common::run_on_executor;
use sluice_storage::metadata_file::{read, write_atomic};
use sluice_storage::StorageError;

#[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize, Debug, Clone, PartialEq)]
struct ShardTable {
    revision: u64,
    assignments: Vec<(String, u32, u16)>,
}

fn table(revision: u64) -> ShardTable {
    ShardTable {
        revision,
        assignments: (0..100).map(|p| (format!("topic-{}", p % 7), p, (p % 4) as u16)).collect(),
    }
}

#[test]
fn given_written_table_when_reading_should_round_trip_and_replace_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shards.bin");
    let check = path.clone();
    run_on_executor(move || async move {
        write_atomic(&path, &table(1)).await.unwrap();
        assert_eq!(read::<ShardTable>(&path).await.unwrap(), table(1));
        write_atomic(&path, &table(2)).await.unwrap();
        assert_eq!(read::<ShardTable>(&path).await.unwrap(), table(2));
    });
    assert!(!check.with_file_name("shards.bin.tmp").exists(), "no temp file left behind");
}

#[test]
fn given_missing_or_corrupt_file_when_reading_should_get_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("topics.bin");
    let path2 = path.clone();
    run_on_executor(move || async move {
        assert!(matches!(read::<ShardTable>(&path).await, Err(StorageError::NotFound { .. })));
        write_atomic(&path, &table(3)).await.unwrap();
    });
    let mut bytes = std::fs::read(&path2).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x40;
    std::fs::write(&path2, &bytes).unwrap();
    run_on_executor(move || async move {
        assert!(matches!(
            read::<ShardTable>(&path2).await,
            Err(StorageError::CorruptMetadata { .. })
        ));
    });
}
