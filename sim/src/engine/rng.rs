//! Seeded randomness: one u64 seed, one ChaCha8 stream per purpose, so drawing more numbers
//! for one purpose (say, more network delays) never shifts another (say, the fault schedule).
//! Probabilities are integers in parts per million.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; the discriminant selects the ChaCha stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Message delays.
    Network = 1,
    /// Fsync latencies.
    Disk = 2,
    /// Client writes: timing and target server.
    Workload = 3,
    /// Random fault schedules.
    Faults = 4,
    /// The fuzzer's swarm profile (which fault kinds, rates, sizes).
    Profile = 5,
    /// Chaos mode's message faults: loss, duplication and reordering beyond TCP.
    Chaos = 6,
    /// How long a server's own work takes (`ServerCosts`).
    Costs = 7,
    /// The swarm's targeted crashes (a stream of their own, so the rest of a seed's schedule
    /// is the same with or without them).
    Targets = 8,
    /// Simulated clients: host order, think times, op choice, reconnect sleeps.
    Clients = 9,
    /// Delays on client-server connections.
    ClientLinks = 10,
}

/// A deterministic random stream.
#[derive(Clone, Debug)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    /// The stream for `purpose` under `seed`.
    pub fn new(seed: u64, purpose: Purpose) -> Stream {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(purpose as u64);
        Stream(rng)
    }

    /// Uniform in `lo..=hi` (returns `lo` when `hi <= lo`).
    #[inline]
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.gen_range(lo..=hi)
        }
    }

    /// Uniform index below `n` (n > 0).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        self.0.gen_range(0..n)
    }

    /// True with probability `ppm` parts per million.
    #[inline]
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.0.gen_range(0..1_000_000u32) < ppm
    }

    /// A raw u64.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.gen()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_one_seed_are_independent_and_repeatable() {
        let mut a = Stream::new(7, Purpose::Network);
        let mut b = Stream::new(7, Purpose::Disk);
        let mut a2 = Stream::new(7, Purpose::Network);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xs2: Vec<u64> = (0..4).map(|_| a2.next_u64()).collect();
        assert_eq!(xs, xs2);
        assert_ne!(xs, ys);
    }
}
