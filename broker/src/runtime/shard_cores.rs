//! Which CPU each shard's executor is pinned to.
//!
//! glommio's `CpuSet` is a hash set, so its iteration order changes from process to process:
//! taking "the first online CPU" from it pinned shard 0 to a different core on each start.
//! On a two-core machine with a load generator pinned to CPU 1, half of all broker starts put
//! the shard on the load generator's core and every latency doubled or worse (the "bimodal
//! runs" of perf/README.md). The assignment is therefore made here, from an ordered list:
//! `--cores` when given, otherwise the online CPUs from the lowest up. Shard `i` runs on the
//! `i`-th, wrapping when there are more shards than CPUs.

/// The CPU for each of `shards` shards. `configured` is `--cores` (shard order); `online` the
/// online CPUs in any order. Every shard gets `None` (runs unpinned) when no CPU is known; a
/// configured CPU that is not online is an error naming it.
pub(super) fn shard_cores(
    configured: Option<&[usize]>,
    online: impl IntoIterator<Item = usize>,
    shards: usize,
) -> Result<Vec<Option<usize>>, String> {
    let mut online: Vec<usize> = online.into_iter().collect();
    online.sort_unstable();
    online.dedup();
    let cpus = match configured {
        Some(cores) => {
            if let Some(missing) = cores.iter().find(|core| !online.contains(core)) {
                return Err(format!(
                    "--cores names CPU {missing}, which is not online ({online:?})"
                ));
            }
            cores.to_vec()
        }
        None => online,
    };
    Ok((0..shards).map(|shard| (!cpus.is_empty()).then(|| cpus[shard % cpus.len()])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_take_the_lowest_cpus_whatever_order_they_are_listed_in() {
        assert_eq!(shard_cores(None, [3, 1, 0, 2], 2), Ok(vec![Some(0), Some(1)]));
        assert_eq!(shard_cores(None, [1, 0], 1), Ok(vec![Some(0)]));
        assert_eq!(shard_cores(None, [0, 1], 1), Ok(vec![Some(0)]));
    }

    #[test]
    fn configured_cores_are_taken_in_their_order() {
        assert_eq!(shard_cores(Some(&[1]), [0, 1], 1), Ok(vec![Some(1)]));
        assert_eq!(
            shard_cores(Some(&[3, 1]), [0, 1, 2, 3], 3),
            Ok(vec![Some(3), Some(1), Some(3)])
        );
    }

    #[test]
    fn a_configured_core_that_is_not_online_is_refused() {
        let err = shard_cores(Some(&[0, 5]), [0, 1], 2).unwrap_err();
        assert!(err.contains("CPU 5"), "{err}");
    }

    #[test]
    fn more_shards_than_cpus_wrap_around() {
        assert_eq!(shard_cores(None, [5, 4], 3), Ok(vec![Some(4), Some(5), Some(4)]));
        assert_eq!(shard_cores(None, [2, 2], 2), Ok(vec![Some(2), Some(2)]));
    }

    #[test]
    fn no_known_cpu_leaves_shards_unpinned() {
        assert_eq!(shard_cores(None, [], 2), Ok(vec![None, None]));
    }
}
