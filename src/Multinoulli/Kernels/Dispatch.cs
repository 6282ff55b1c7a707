using System.Numerics;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// Picks the widest vector unit once per call: AVX-512, else AVX2, else width one. The checks are constants
/// to the JIT, so only one branch survives in the compiled code.
/// </summary>
internal static unsafe class Dispatch<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static void Probabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.Probabilities(logits, destination, rows, classes, temperature, masked);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.Probabilities(logits, destination, rows, classes, temperature, masked);
        else RowKernels<SimdScalar<T>, T, T>.Probabilities(logits, destination, rows, classes, temperature, masked);
    }

    public static void LogProbabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.LogProbabilities(logits, destination, rows, classes, temperature, masked);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.LogProbabilities(logits, destination, rows, classes, temperature, masked);
        else RowKernels<SimdScalar<T>, T, T>.LogProbabilities(logits, destination, rows, classes, temperature, masked);
    }

    public static void LogSumExp(T* logits, T* destination, int rows, int classes, double temperature)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.LogSumExp(logits, destination, rows, classes, temperature);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.LogSumExp(logits, destination, rows, classes, temperature);
        else RowKernels<SimdScalar<T>, T, T>.LogSumExp(logits, destination, rows, classes, temperature);
    }

    public static void SmoothMax(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.SmoothMax(logits, destination, rows, classes, temperature, masked);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.SmoothMax(logits, destination, rows, classes, temperature, masked);
        else RowKernels<SimdScalar<T>, T, T>.SmoothMax(logits, destination, rows, classes, temperature, masked);
    }

    public static void ProbabilitiesBackward(T* probabilities, T* outputGradient, T* destination, int rows, int classes, double temperature)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.ProbabilitiesBackward(probabilities, outputGradient, destination, rows, classes, temperature);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.ProbabilitiesBackward(probabilities, outputGradient, destination, rows, classes, temperature);
        else RowKernels<SimdScalar<T>, T, T>.ProbabilitiesBackward(probabilities, outputGradient, destination, rows, classes, temperature);
    }

    public static void LogProbabilitiesBackward(T* logProbabilities, T* outputGradient, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.LogProbabilitiesBackward(logProbabilities, outputGradient, destination, rows, classes, temperature, masked);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.LogProbabilitiesBackward(logProbabilities, outputGradient, destination, rows, classes, temperature, masked);
        else RowKernels<SimdScalar<T>, T, T>.LogProbabilitiesBackward(logProbabilities, outputGradient, destination, rows, classes, temperature, masked);
    }

    public static void CrossEntropy(T* logits, int rows, int classes, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses)
    {
        if (Simd512<T>.IsSupported) RowKernels<Simd512<T>, Vector512<T>, T>.CrossEntropy(logits, rows, classes, labels, targets, settings, gradient, losses);
        else if (Simd256<T>.IsSupported) RowKernels<Simd256<T>, Vector256<T>, T>.CrossEntropy(logits, rows, classes, labels, targets, settings, gradient, losses);
        else RowKernels<SimdScalar<T>, T, T>.CrossEntropy(logits, rows, classes, labels, targets, settings, gradient, losses);
    }
}
