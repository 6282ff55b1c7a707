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

    /// <summary>Cross-entropy rows against labels or soft targets, unscaled: per-row losses, and the gradient when one is given.</summary>
    public delegate void Targets(T[] logits, int classes, int[]? labels, T[]? soft, T[]? weights, double smoothing, bool masked, T[]? gradient, double[] losses);

    public sealed record Width(string Name, Rows Probabilities, Rows LogProbabilities, Rows LogSumExp, Rows SmoothMax, Targets CrossEntropy)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Width> All() => Dispatch<T>.Available.Select(kernels => new Width(kernels.Name,
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.Probabilities(a, b, z.Length / c, c, t, m, Streaming.Worth(z.Length / c, c, sizeof(T))); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.LogProbabilities(a, b, z.Length / c, c, t, m, Streaming.Worth(z.Length / c, c, sizeof(T))); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.LogSumExp(a, b, z.Length / c, c, t); },
        (z, d, c, t, m) => { fixed (T* a = z) fixed (T* b = d) kernels.SmoothMax(a, b, z.Length / c, c, t, m); },
        (z, c, y, soft, w, smoothing, masked, g, losses) =>
        {
            fixed (T* a = z) fixed (int* labels = y) fixed (T* t = soft) fixed (T* weights = w) fixed (T* gradient = g) fixed (double* l = losses)
            {
                var settings = new CrossEntropySettings<T> { Weights = weights, Smoothing = smoothing, Masked = masked, GradientScale = 1 };
                kernels.CrossEntropy(a, z.Length / c, c, labels, t, settings, gradient, l);
            }
        }));
}
