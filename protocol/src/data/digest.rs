//! The hashes behind txn values and data-tree digests, written out so they are the same on
//! every machine and run (std's `DefaultHasher` makes no such promise): `Fnv1a64`, the
//! 64-bit FNV-1a hash, for txn values (which traces show), and `WordHash`, FNV-1a's step on
//! whole words, for the digests kept on every applied txn. Together they play the role of
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

    fn raw(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.raw(&value.to_le_bytes());
    }

    /// The length, then the bytes (what `display` hashes, without the text in hand).
    #[cfg(test)]
    fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.raw(bytes);
    }

    /// What `bytes` gives for `value.to_string()`, without building the string: the text is
    /// formatted twice, once to learn its length and once into the hash.
    pub(crate) fn display(&mut self, value: &impl std::fmt::Display) {
        use std::fmt::Write;
        struct Count(usize);
        impl Write for Count {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0 += s.len();
                Ok(())
            }
        }
        struct Feed<'a>(&'a mut Fnv1a64);
        impl Write for Feed<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.raw(s.as_bytes());
                Ok(())
            }
        }
        let mut count = Count(0);
        write!(count, "{value}").expect("counting cannot fail");
        self.u64(count.0 as u64);
        write!(Feed(self), "{value}").expect("hashing cannot fail");
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// FNV-1a's step (xor, then multiply by the FNV prime) taken a whole 64-bit word at a time
/// instead of a byte at a time: eight times fewer multiplies for the digests kept on every
/// applied txn (node digests, the tree digest, the applied-history digest), which only need
/// to agree within one run. Each step is a bijection of the state for a fixed word and of
/// the word for a fixed state, so two inputs of the same shape that differ in exactly one
/// word always hash differently.
pub(crate) struct WordHash(u64);

impl WordHash {
    pub(crate) fn new() -> WordHash {
        WordHash(Fnv1a64::OFFSET_BASIS)
    }

    /// Goes on from an earlier `finish`, for a hash kept up to date one item at a time.
    pub(crate) fn resume(state: u64) -> WordHash {
        WordHash(state)
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(Fnv1a64::PRIME);
    }

    /// The length, then the bytes in little-endian words, the last one zero-padded.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.u64(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.u64(u64::from_le_bytes(last));
        }
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

    #[test]
    fn display_hashes_as_the_formatted_bytes() {
        let mut formatted = Fnv1a64::new();
        formatted.bytes(format!("{}-{:05}", "create /lock", 42).as_bytes());
        let mut streamed = Fnv1a64::new();
        streamed.display(&format_args!("{}-{:05}", "create /lock", 42));
        assert_eq!(formatted.finish(), streamed.finish());
    }

    #[test]
    fn word_hash_tells_apart_lengths_paddings_and_single_words() {
        let hash = |bytes: &[u8]| {
            let mut h = WordHash::new();
            h.bytes(bytes);
            h.finish()
        };
        // Zero padding does not make a shorter input equal a longer one: the length comes first.
        assert_ne!(hash(b"/a"), hash(b"/a\0"));
        assert_ne!(hash(b"/lock/n-0000000001"), hash(b"/lock/n-0000000002"));
        assert_ne!(hash(b""), hash(b"\0\0\0\0\0\0\0\0"));
        let mut a = WordHash::new();
        a.u64(1);
        a.u64(2);
        let mut b = WordHash::new();
        b.u64(2);
        b.u64(1);
        assert_ne!(a.finish(), b.finish(), "order matters");
    }
}
