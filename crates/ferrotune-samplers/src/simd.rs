//! Hot loops compiled twice: for the baseline target (SSE2 on x86-64, two
//! doubles per instruction) and for AVX2 (four), picked at run time.
//! Release builds target the baseline so binaries and wheels run on any
//! x86-64 CPU.
//!
//! Design decision: the bodies are plain safe Rust and Rust never fuses a
//! multiply and an add on its own, so both versions compute bit-identical
//! results: a seeded study repeats exactly on any CPU. (Enabling FMA only
//! lets code that calls `mul_add` use the instruction.)

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
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has the features `avx2` is compiled for.
                    #[allow(unsafe_code)]
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
