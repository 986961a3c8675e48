//! Hot loops compiled twice: for the baseline target (SSE2 on x86-64, two
//! doubles per instruction) and for AVX2 (four), picked at run time.
//! Release builds target the baseline so binaries and wheels run on any
//! x86-64 CPU.
//!
//! Design decision: the bodies are plain safe Rust and Rust never fuses a
//! multiply and an add on its own, so both versions compute bit-identical
//! results: a seeded study repeats exactly on any CPU. Enabling FMA only
//! lets code that calls `mul_add` use the instruction; the baseline build
//! computes the same correctly rounded `mul_add` in software (libm's
//! `fma`), which is slow but gives the same bits. TPE's density loops call
//! it (a third fewer operations in its exponential), so on an x86-64 CPU
//! without FMA (before 2013) TPE runs several times slower, with the same
//! results.

/// Defines a function whose body is compiled for the baseline and for
/// AVX2 + FMA, and runs the latter where the CPU supports it. The body must
/// be plain safe code; only its code generation changes.
macro_rules! simd_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if !$crate::simd::baseline_only()
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has the features `avx2` is compiled for.
                    #[allow(unsafe_code)]
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

#[cfg(test)]
thread_local! {
    /// Tests set this to run the baseline build on a CPU that has AVX2.
    pub(crate) static BASELINE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread must run the baseline build (only tests ask).
/// Only the x86_64 dispatch asks; other targets have one build.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[inline(always)]
pub(crate) fn baseline_only() -> bool {
    #[cfg(test)]
    return BASELINE_ONLY.with(|b| b.get());
    #[cfg(not(test))]
    false
}
