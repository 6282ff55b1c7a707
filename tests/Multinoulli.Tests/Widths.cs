using System.Numerics;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Tests;

/// <summary>
/// Every vector width the machine can run, as plain functions over arrays, so each property is checked for the
/// AVX-512, AVX2 and width-one code paths in one test run (the public API only ever reaches the widest).
/// </summary>
internal static unsafe class Widths<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public delegate void Rows(T[] logits, T[] destination, int classes, double temperature, bool masked);

    public sealed record Width(string Name, Rows Probabilities, Rows LogProbabilities, Rows LogSumExp, Rows SmoothMax)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Width> All()
    {
        if (Simd512<T>.IsSupported)
            yield return Make<Simd512<T>, Vector512<T>>("avx512");
        if (Simd256<T>.IsSupported)
            yield return Make<Simd256<T>, Vector256<T>>("avx2");
        yield return Make<SimdScalar<T>, T>("scalar");
    }

    private static Width Make<TSimd, TVector>(string name)
        where TSimd : ISimd<TVector, T>
        where TVector : unmanaged =>
        new(name,
            (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) RowKernels<TSimd, TVector, T>.Probabilities(a, b, z.Length / c, c, t, m); },
            (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) RowKernels<TSimd, TVector, T>.LogProbabilities(a, b, z.Length / c, c, t, m); },
            (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) RowKernels<TSimd, TVector, T>.LogSumExp(a, b, z.Length / c, c, t); },
            (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) RowKernels<TSimd, TVector, T>.SmoothMax(a, b, z.Length / c, c, t, m); });
}
