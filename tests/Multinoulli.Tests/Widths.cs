using System.Numerics;
using Multinoulli.Kernels;

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

    public static IEnumerable<Width> All() => Dispatch<T>.Available.Select(kernels => new Width(kernels.Name,
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.Probabilities(a, b, z.Length / c, c, t, m, Streaming.Worth(z.Length / c, c, sizeof(T))); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.LogProbabilities(a, b, z.Length / c, c, t, m, Streaming.Worth(z.Length / c, c, sizeof(T))); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.LogSumExp(a, b, z.Length / c, c, t); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.SmoothMax(a, b, z.Length / c, c, t, m); }));
}
