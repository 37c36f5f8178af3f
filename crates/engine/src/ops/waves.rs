//! Rollouts in waves (`apply --inventory FILE --waves 1,10%,rest --max-failures N`).
//!
//! Input: the wave sizes as given, the customers' run keys in inventory order and the `wave:`
//! numbers some of them carry. Output: the customers of each wave (indexes into the
//! customers), and, once applied, which customers were not started because a wave went over
//! its failure budget ([`Rollout`]).

use std::collections::BTreeMap;

use crate::diag::Diag;

/// One wave's size as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// `3`: that many customers.
    Count(usize),
    /// `10%`: that share of the customers selected, rounded up.
    Percent(u32),
    /// `rest`: every customer left (only last).
    Rest,
}

/// `--waves`: the sizes of the waves, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waves {
    pub sizes: Vec<Size>,
}

impl Waves {
    /// `1,10%,rest`: counts (≥ 1), percentages (1% to 100%), and `rest` only last.
    pub fn parse(text: &str) -> Result<Waves, Diag> {
        let bad = |why: String| {
            Diag::plain(format!("invalid `--waves {text}`: {why}")).help(
                "give wave sizes separated by commas, each a count (`1`), a percentage of the \
                 customers selected (`10%`, rounded up) or `rest` (last only), e.g. \
                 `--waves 1,10%,rest`",
            )
        };
        if text.trim().is_empty() {
            return Err(bad("no wave size given".into()));
        }
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let mut sizes = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let n = i + 1;
            let size = match *part {
                "" => return Err(bad(format!("wave {n} has no size"))),
                "rest" if n != parts.len() => {
                    return Err(bad(format!(
                        "`rest` is wave {n} of {}: only the last wave may take the rest",
                        parts.len()
                    )));
                }
                "rest" => Size::Rest,
                p if p.ends_with('%') => match p[..p.len() - 1].parse::<u32>() {
                    Ok(pc) if (1..=100).contains(&pc) => Size::Percent(pc),
                    Ok(pc) => {
                        return Err(bad(format!(
                            "wave {n} is {pc}%: a percentage must be 1% to 100%"
                        )));
                    }
                    Err(_) => {
                        return Err(bad(format!(
                            "wave {n} (`{p}`) is not a whole percentage such as `10%`"
                        )));
                    }
                },
                p => match p.parse::<usize>() {
                    Ok(0) => return Err(bad(format!("wave {n} is 0 customers"))),
                    Ok(c) => Size::Count(c),
                    Err(_) => {
                        return Err(bad(format!(
                            "wave {n} (`{p}`) is not a count, a percentage or `rest`"
                        )));
                    }
                },
            };
            sizes.push(size);
        }
        Ok(Waves { sizes })
    }

    /// How many customers each wave of `total` takes: the sizes in order (a percentage of
    /// `total`, rounded up; never more than are left), then, if customers are left, one last
    /// wave of them. Waves left empty are dropped.
    pub fn split(&self, total: usize) -> Vec<usize> {
        let mut left = total;
        let mut out = Vec::new();
        for size in &self.sizes {
            let n = match *size {
                Size::Count(c) => c,
                Size::Percent(p) => (total * p as usize).div_ceil(100),
                Size::Rest => left,
            }
            .min(left);
            if n > 0 {
                out.push(n);
            }
            left -= n;
        }
        if left > 0 {
            out.push(left);
        }
        out
    }
}

/// The order customers roll out in: those with a `wave:` number first, lowest number first,
/// then those without, each in inventory order. `waves`: a run key's `wave:` number.
pub fn order(keys: &[Option<&str>], waves: &BTreeMap<String, u32>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // A stable sort: equal numbers (and no number) keep the inventory's order.
    order.sort_by_key(|&i| {
        keys[i]
            .and_then(|k| waves.get(k))
            .map_or(u64::MAX, |&w| w.into())
    });
    order
}

/// The waves of an apply: indexes into the customers, wave by wave.
pub fn plan(
    sizes: Option<&Waves>,
    keys: &[Option<&str>],
    numbers: &BTreeMap<String, u32>,
) -> Vec<Vec<usize>> {
    let Some(sizes) = sizes else {
        return vec![(0..keys.len()).collect()];
    };
    let order = order(keys, numbers);
    let mut rest = order.as_slice();
    let mut out = Vec::new();
    for n in sizes.split(keys.len()) {
        let (wave, left) = rest.split_at(n);
        out.push(wave.to_vec());
        rest = left;
    }
    out
}

/// How a rollout in waves went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollout {
    /// The run keys of each wave, in the order they ran (or would have).
    pub waves: Vec<Vec<String>>,
    /// `--max-failures`: failed customers a wave may have without stopping the rollout.
    pub max_failures: usize,
    /// The rollout stopped after this wave (1-based) ...
    pub stopped_after: Option<usize>,
    /// ... because these customers of it failed.
    pub failed: Vec<String>,
    /// Customers of later waves that were not started: (run key, wave, 1-based).
    pub not_started: Vec<(String, usize)>,
}

impl Rollout {
    /// Why a customer was not started, one line.
    pub fn why(&self) -> String {
        let stopped = self.stopped_after.unwrap_or_default();
        let failed = self.failed.len();
        if failed <= self.max_failures {
            return format!(
                "the rollout stopped after wave {stopped} of {}: interrupted",
                self.waves.len()
            );
        }
        format!(
            "the rollout stopped after wave {stopped} of {}: {failed} customer{} failed ({}), \
             more than --max-failures {}",
            self.waves.len(),
            if failed == 1 { "" } else { "s" },
            self.failed.join(", "),
            self.max_failures
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Waves::parse(text) {
            Ok(w) => panic!("{text}: parsed as {w:?}"),
            Err(d) => d.message,
        }
    }

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        let w = Waves::parse("1, 10%,rest").expect("valid");
        assert_eq!(w.sizes, vec![Size::Count(1), Size::Percent(10), Size::Rest]);
        assert!(err("0").contains("wave 1 is 0 customers"), "{}", err("0"));
        assert!(err("150%").contains("1% to 100%"));
        assert!(err("0%").contains("1% to 100%"));
        assert!(err("rest,1").contains("only the last wave may take the rest"));
        assert!(err("").contains("no wave size"));
        assert!(err(" ").contains("no wave size"));
        assert!(err("1,,rest").contains("wave 2 has no size"));
        assert!(err("ten").contains("not a count"));
        assert!(err("12.5%").contains("whole percentage"));
        assert!(err("-1").contains("not a count"));
    }

    #[test]
    fn percentages_round_up_and_the_rest_makes_a_last_wave() {
        let split = |w: &str, n| Waves::parse(w).expect("valid").split(n);
        assert_eq!(split("1,10%,rest", 40), vec![1, 4, 35]);
        assert_eq!(split("1,10%,rest", 5), vec![1, 1, 3]);
        assert_eq!(split("30%,rest", 5), vec![2, 3]);
        assert_eq!(split("1%", 1000), vec![10, 990]);
        assert_eq!(split("1,1", 5), vec![1, 1, 3]);
        assert_eq!(split("10,rest", 3), vec![3]);
        assert_eq!(split("100%", 7), vec![7]);
        assert_eq!(split("rest", 0), Vec::<usize>::new());
    }

    #[test]
    fn wave_numbers_come_first_in_order_then_the_inventory_order() {
        let keys = [Some("a"), Some("b"), Some("c"), Some("d"), Some("e")];
        let numbers = BTreeMap::from([
            ("d".to_owned(), 1),
            ("b".to_owned(), 2),
            ("e".to_owned(), 1),
        ]);
        assert_eq!(order(&keys, &numbers), vec![3, 4, 1, 0, 2]);
        let w = Waves::parse("1,2").expect("valid");
        assert_eq!(
            plan(Some(&w), &keys, &numbers),
            vec![vec![3], vec![4, 1], vec![0, 2]]
        );
        assert_eq!(plan(None, &keys, &numbers), vec![vec![0, 1, 2, 3, 4]]);
    }
}
