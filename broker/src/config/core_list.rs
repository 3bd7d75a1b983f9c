//! `--cores`: which CPUs the shards are pinned to, as a Linux-style CPU list (`0,2-3`).

/// Parses a CPU list: comma-separated CPU numbers and inclusive `A-B` ranges, in the order
/// given (shard `i` takes the `i`-th). A CPU named twice is an error, so two shards never share
/// a core by a typo.
pub fn parse_core_list(text: &str) -> Result<Vec<usize>, String> {
    let bad = |part: &str| format!("`{part}` is not a CPU number or A-B range (e.g. 0,2-3)");
    let mut cores = Vec::new();
    for part in text.split(',').map(str::trim) {
        match part.split_once('-') {
            None => cores.push(part.parse().map_err(|_| bad(part))?),
            Some((first, last)) => {
                let first: usize = first.trim().parse().map_err(|_| bad(part))?;
                let last: usize = last.trim().parse().map_err(|_| bad(part))?;
                if first > last {
                    return Err(format!("range `{part}` runs backwards"));
                }
                cores.extend(first..=last);
            }
        }
    }
    let mut sorted = cores.clone();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!("CPU {} is listed twice", pair[0]));
    }
    Ok(cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges_keep_their_order() {
        assert_eq!(parse_core_list("1").unwrap(), vec![1]);
        assert_eq!(parse_core_list("3,0-1").unwrap(), vec![3, 0, 1]);
        assert_eq!(parse_core_list(" 2 - 4 ").unwrap(), vec![2, 3, 4]);
    }

    #[test]
    fn malformed_lists_say_what_is_wrong() {
        assert!(parse_core_list("").unwrap_err().contains("not a CPU number"));
        assert!(parse_core_list("a").unwrap_err().contains("`a`"));
        assert!(parse_core_list("3-1").unwrap_err().contains("backwards"));
        assert!(parse_core_list("0,1,0-1").unwrap_err().contains("listed twice"));
        assert!(parse_core_list("-1").is_err());
    }
}
