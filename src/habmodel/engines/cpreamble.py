"""The C text every kernel starts with: its SIMD width from the compiler's target, and the
exponentials of its time loop (the C library's, or the kernel's own vectorisable ones).
Part of the code generator (:mod:`habmodel.engines.codegen`)."""

__all__ = ["SIMD_PREAMBLE", "MATH_PREAMBLE"]

#: The kernel's vector width and instruction set, read from the compiler's target macros.
SIMD_PREAMBLE = """\
#if defined(__AVX512F__)
#define HM_SIMD 8
#define HM_ISA "avx512f"
#elif defined(__AVX2__)
#define HM_SIMD 4
#define HM_ISA "avx2"
#elif defined(__AVX__)
#define HM_SIMD 4
#define HM_ISA "avx"
#elif defined(__SSE4_2__)
#define HM_SIMD 2
#define HM_ISA "sse4.2"
#elif defined(__SSE2__)
#define HM_SIMD 2
#define HM_ISA "sse2"
#elif defined(__ARM_NEON) || defined(__aarch64__)
#define HM_SIMD 2
#define HM_ISA "neon"
#elif defined(__wasm_simd128__)
#define HM_SIMD 2
#define HM_ISA "simd128"
#elif defined(__wasm__)
#define HM_SIMD 1
#define HM_ISA "wasm32"
#else
#define HM_SIMD 1
#define HM_ISA "scalar"
#endif"""

#: The exponentials of the time loop. GCC with glibc vectorises the C library's
#: ``exp``/``expm1`` through glibc's vector math library (libmvec); clang has no vector
#: ``exp`` (Apple clang, clang on Linux or Windows, the WebAssembly build), and a call to
#: the scalar one keeps the cell loop scalar. Under clang the kernel therefore uses its
#: own branch-free ``exp`` and ``expm1`` (argument reduction by ln 2, a degree-13 Taylor
#: polynomial, the scale 2^k built from the exponent bits; within 1-2 ulp of the C
#: library's, tests/test_wasm.py), which clang vectorises for every SIMD target.
#: ``-DHM_LIBM_EXP`` keeps the C library's instead (benchmarks).
MATH_PREAMBLE = """\
#if defined(__clang__) && !defined(HM_LIBM_EXP)
#define HM_MATH "portable"
/* x = k ln2 + r, |r| <= ln2/2; q = exp(r) - 1 (Taylor to r^13, error < 1e-17); 2^k.
   Not reassociated (-ffast-math would merge the two-part ln 2 and lose 1e-13). */
static inline double hm_reduce(double x, double *scale) {
    #pragma clang fp reassociate(off)
    x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    const double k = __builtin_rint(x * 1.4426950408889634);
    const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double q = 1.6059043836821613e-10;               /* 1/13! */
    q = q * r + 2.08767569878680989792e-09;          /* 1/12! */
    q = q * r + 2.50521083854417187751e-08;
    q = q * r + 2.75573192239858906526e-07;
    q = q * r + 2.75573192239858906526e-06;
    q = q * r + 2.48015873015873015873e-05;
    q = q * r + 1.98412698412698412698e-04;
    q = q * r + 1.38888888888888888889e-03;
    q = q * r + 8.33333333333333333333e-03;
    q = q * r + 4.16666666666666666667e-02;
    q = q * r + 1.66666666666666666667e-01;
    q = q * r + 0.5;
    q = (q * r + 1.0) * r;
    const int64_t bits = ((int64_t)(int32_t)k + 1023) << 52;
    __builtin_memcpy(scale, &bits, sizeof *scale);
    return q;
}
static inline double hm_exp(double x) {
    double scale;
    const double q = hm_reduce(x, &scale);
    return (1.0 + q) * scale;
}
static inline double hm_expm1(double x) {  /* 2^k (exp(r) - 1) + (2^k - 1): no branch */
    #pragma clang fp reassociate(off)
    double scale;
    const double q = hm_reduce(x, &scale);
    return q * scale + (scale - 1.0);
}
#else
#define HM_MATH "libm"
#define hm_exp exp
#define hm_expm1 expm1
#endif"""
