//! Vectors handed back after one proposal and taken again by the next.
//!
//! A proposal over n trials and d parameters builds a few dozen arrays of
//! n values (observation columns and orders, kernel centres, bandwidths,
//! normalizers) and frees them all when it returns. glibc's allocator
//! gives free memory at the top of the heap back to the kernel once it
//! passes 128 KiB, so the next proposal page-faults every array in again:
//! at 2,000 trials of 10 parameters that was a third of a proposal's time
//! (`bench` overhead binary, TPE, with and without
//! `MALLOC_TRIM_THRESHOLD_` raised). Recycling the vectors keeps their pages
//! mapped. Every vector is cleared when taken, so which one comes back
//! changes no result. The kernels' truncation masses travel with them
//! (a pure cache, see [`MassCache`]).

use super::parzen::MassCache;

/// At most this many vectors of each type are kept: more than one
/// proposal of a 50-parameter space takes, few enough to bound the memory
/// kept to what the largest proposals used.
const MAX_KEPT: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Buffers {
    f64s: Vec<Vec<f64>>,
    u32s: Vec<Vec<u32>>,
    pub(crate) masses: MassCache,
}

impl Buffers {
    /// An empty vector, with the capacity of one handed back if any.
    pub(crate) fn f64s(&mut self) -> Vec<f64> {
        let mut v = self.f64s.pop().unwrap_or_default();
        v.clear();
        v
    }

    /// An empty vector, with the capacity of one handed back if any.
    pub(crate) fn u32s(&mut self) -> Vec<u32> {
        let mut v = self.u32s.pop().unwrap_or_default();
        v.clear();
        v
    }

    pub(crate) fn give_f64s(&mut self, v: Vec<f64>) {
        if v.capacity() > 0 && self.f64s.len() < MAX_KEPT {
            self.f64s.push(v);
        }
    }

    pub(crate) fn give_u32s(&mut self, v: Vec<u32>) {
        if v.capacity() > 0 && self.u32s.len() < MAX_KEPT {
            self.u32s.push(v);
        }
    }
}
