//! Order statistics on integer samples (µs), exact and deterministic: nearest-rank
//! percentiles on sorted copies, no floating-point accumulation. The simulator's run reports
//! use the same definition, so a run's p99 and a chart's p99 agree.

/// A sorted copy of a sample.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    sorted: Vec<u64>,
}

impl Sample {
    /// Sorts the values.
    pub fn new(mut values: Vec<u64>) -> Sample {
        values.sort_unstable();
        Sample { sorted: values }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the sample is empty.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The sorted values.
    pub fn values(&self) -> &[u64] {
        &self.sorted
    }

    /// Nearest-rank percentile, `pct` in 0..=100; None for an empty sample.
    pub fn percentile(&self, pct: u32) -> Option<u64> {
        let n = self.sorted.len();
        if n == 0 {
            return None;
        }
        // rank = ceil(pct/100 * n), at least 1.
        let rank = (u64::from(pct.min(100)) * n as u64).div_ceil(100).max(1) as usize;
        Some(self.sorted[rank.min(n) - 1])
    }

    /// The median (50th percentile).
    pub fn median(&self) -> Option<u64> {
        self.percentile(50)
    }

    /// Smallest and largest.
    pub fn min_max(&self) -> Option<(u64, u64)> {
        Some((*self.sorted.first()?, *self.sorted.last()?))
    }
}

/// µs to ms for plotting.
pub(crate) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s = Sample::new((1..=10).rev().collect());
        assert_eq!(s.percentile(0), Some(1));
        assert_eq!(s.percentile(10), Some(1));
        assert_eq!(s.percentile(50), Some(5));
        assert_eq!(s.percentile(90), Some(9));
        assert_eq!(s.percentile(99), Some(10));
        assert_eq!(s.percentile(100), Some(10));
        assert_eq!(Sample::new(vec![]).median(), None);
        assert_eq!(Sample::new(vec![7]).percentile(90), Some(7));
    }
}
