//! The certificates a plan settled, skipped by the shards that run after it.

/// Ordinals of certificates, as bits: a bit per certificate of the upload (250 KB at
/// two million).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SkipSet(pub(crate) Vec<u8>);

impl SkipSet {
    pub fn insert(&mut self, ordinal: u32) {
        let byte = (ordinal / 8) as usize;
        if self.0.len() <= byte {
            self.0.resize(byte + 1, 0);
        }
        self.0[byte] |= 1 << (ordinal % 8);
    }

    pub fn contains(&self, ordinal: u32) -> bool {
        self.0
            .get((ordinal / 8) as usize)
            .is_some_and(|byte| byte & (1 << (ordinal % 8)) != 0)
    }
}
