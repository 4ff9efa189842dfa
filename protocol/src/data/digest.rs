//! `Fnv1a64`: the 64-bit FNV-1a hash, written out so the tree digest is the same on every
//! machine and run (std's `DefaultHasher` makes no such promise). Plays the role of
//! ZooKeeper's `DigestCalculator`, not its exact value.

/// FNV-1a over a byte stream. Variable-length fields are length-prefixed by the caller's
/// use of [`Fnv1a64::bytes`], so field boundaries cannot shift between inputs.
pub(crate) struct Fnv1a64(u64);

impl Fnv1a64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    pub(crate) fn new() -> Fnv1a64 {
        Fnv1a64(Self::OFFSET_BASIS)
    }

    /// Goes on from an earlier `finish`, for a hash kept up to date one item at a time.
    pub(crate) fn resume(state: u64) -> Fnv1a64 {
        Fnv1a64(state)
    }

    fn raw(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.raw(&value.to_le_bytes());
    }

    pub(crate) fn i32(&mut self, value: i32) {
        self.raw(&value.to_le_bytes());
    }

    /// The length, then the bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.raw(bytes);
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_vectors() {
        let mut empty = Fnv1a64::new();
        empty.raw(b"");
        assert_eq!(empty.finish(), 0xcbf2_9ce4_8422_2325);
        let mut a = Fnv1a64::new();
        a.raw(b"a");
        assert_eq!(a.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
