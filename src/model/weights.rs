//! Traffic shares from Gateway API backend weights.
//!
//! Weights are relative: a backend gets `weight / sum` of the rule's traffic. When every
//! weight is zero the rule sends no traffic at all (the implementation answers 500).

#[derive(Debug, Clone, PartialEq)]
pub struct Shares {
    /// Percent of the rule's traffic per backend, in input order.
    pub percent: Vec<f64>,
    pub total: i64,
    /// The rule has backends but all weights are zero: no traffic flows.
    pub all_zero: bool,
}

/// Negative weights are invalid (the API rejects them); count them as zero.
pub fn shares(weights: &[i64]) -> Shares {
    let clean: Vec<i64> = weights.iter().map(|w| (*w).max(0)).collect();
    let total: i64 = clean.iter().sum();
    let percent = clean
        .iter()
        .map(|w| {
            if total == 0 {
                0.0
            } else {
                *w as f64 * 100.0 / total as f64
            }
        })
        .collect();
    Shares {
        percent,
        total,
        all_zero: !weights.is_empty() && total == 0,
    }
}

/// `50%`, `33.3%`, `0.1%`, `<0.1%` for tiny non-zero shares, so nothing looks like zero
/// unless it is zero.
pub fn format_percent(p: f64) -> String {
    if p == 0.0 {
        "0%".into()
    } else if p < 0.05 {
        "<0.1%".into()
    } else if (p - p.round()).abs() < 0.05 {
        format!("{:.0}%", p.round())
    } else {
        format!("{p:.1}%")
    }
}

/// Integers proportional to `parts` that sum to exactly `total` (largest remainder: the
/// rounding goes to the biggest fractions, ties to the earliest). All-zero parts split
/// evenly, so "normalise" of nothing is an even split rather than a division by zero.
pub fn apportion(parts: &[i64], total: i64) -> Vec<i64> {
    if parts.is_empty() {
        return Vec::new();
    }
    let clean: Vec<i128> = parts.iter().map(|p| i128::from((*p).max(0))).collect();
    let sum: i128 = clean.iter().sum();
    let clean = if sum == 0 {
        vec![1; parts.len()]
    } else {
        clean
    };
    let sum: i128 = clean.iter().sum();
    let total = i128::from(total.max(0));
    let mut out: Vec<i128> = clean.iter().map(|p| p * total / sum).collect();
    let mut order: Vec<usize> = (0..clean.len()).collect();
    // Biggest remainder first; stable sort keeps ties in input order.
    order.sort_by_key(|&i| std::cmp::Reverse(clean[i] * total % sum));
    let short = total - out.iter().sum::<i128>();
    for &i in order.iter().take(short as usize) {
        out[i] += 1;
    }
    out.into_iter().map(|v| v as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_sums_exactly_and_keeps_proportions() {
        assert_eq!(apportion(&[1, 1, 1], 100), vec![34, 33, 33]);
        assert_eq!(apportion(&[80, 10, 0], 100), vec![89, 11, 0]);
        assert_eq!(
            apportion(&[0, 0], 100),
            vec![50, 50],
            "all zero splits evenly"
        );
        assert_eq!(apportion(&[3, 1], 0), vec![0, 0]);
        assert_eq!(apportion(&[1_000_000, 1_000_000, 1], 100), vec![50, 50, 0]);
        assert_eq!(apportion(&[], 100), Vec::<i64>::new());
        assert_eq!(
            apportion(&[-4, 4], 100),
            vec![0, 100],
            "negative counts as zero"
        );
    }

    #[test]
    fn even_split() {
        let s = shares(&[50, 50]);
        assert_eq!(s.percent, vec![50.0, 50.0]);
        assert!(!s.all_zero);
    }

    #[test]
    fn odd_weights_are_relative() {
        let s = shares(&[1, 2]);
        assert_eq!(format_percent(s.percent[0]), "33.3%");
        assert_eq!(format_percent(s.percent[1]), "66.7%");
        let s = shares(&[3, 3, 3]);
        assert_eq!(format_percent(s.percent[2]), "33.3%");
    }

    #[test]
    fn zero_weight_backend_gets_nothing() {
        let s = shares(&[0, 7]);
        assert_eq!(s.percent, vec![0.0, 100.0]);
        assert_eq!(format_percent(s.percent[0]), "0%");
    }

    #[test]
    fn all_zero_means_no_traffic() {
        let s = shares(&[0, 0]);
        assert!(s.all_zero);
        assert_eq!(s.percent, vec![0.0, 0.0]);
        assert!(
            !shares(&[]).all_zero,
            "a rule without backends is not an all-zero split"
        );
    }

    #[test]
    fn tiny_share_is_not_shown_as_zero() {
        let s = shares(&[1, 1_000_000]);
        assert_eq!(format_percent(s.percent[0]), "<0.1%");
        assert_eq!(format_percent(s.percent[1]), "100%");
    }

    #[test]
    fn negative_counts_as_zero() {
        let s = shares(&[-5, 5]);
        assert_eq!(s.percent, vec![0.0, 100.0]);
    }
}
