//! Which CPU each shard's executor is pinned to.
//!
//! glommio's `CpuSet` is a hash set, so its iteration order changes from process to process:
//! taking "the first online CPU" from it pinned shard 0 to a different core on each start.
//! On a two-core machine with a load generator pinned to CPU 1, half of all broker starts put
//! the shard on the load generator's core and every latency doubled or worse (the "bimodal
//! runs" of perf/README.md). The assignment is therefore made here, from a sorted list:
//! shard `i` runs on the `i`-th lowest online CPU, wrapping when there are more shards than
//! CPUs.

/// The CPU for each of `shards` shards, given the online CPUs in any order; `None` for every
/// shard when no CPU is known (the shards then run unpinned).
pub(super) fn shard_cores(
    online: impl IntoIterator<Item = usize>,
    shards: usize,
) -> Vec<Option<usize>> {
    let mut cpus: Vec<usize> = online.into_iter().collect();
    cpus.sort_unstable();
    cpus.dedup();
    (0..shards).map(|shard| (!cpus.is_empty()).then(|| cpus[shard % cpus.len()])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_take_the_lowest_cpus_whatever_order_they_are_listed_in() {
        assert_eq!(shard_cores([3, 1, 0, 2], 2), vec![Some(0), Some(1)]);
        assert_eq!(shard_cores([1, 0], 1), vec![Some(0)]);
        assert_eq!(shard_cores([0, 1], 1), vec![Some(0)]);
    }

    #[test]
    fn more_shards_than_cpus_wrap_around() {
        assert_eq!(shard_cores([5, 4], 3), vec![Some(4), Some(5), Some(4)]);
        assert_eq!(shard_cores([2, 2], 2), vec![Some(2), Some(2)]);
    }

    #[test]
    fn no_known_cpu_leaves_shards_unpinned() {
        assert_eq!(shard_cores([], 2), vec![None, None]);
    }
}
