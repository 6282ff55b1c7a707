using System.Numerics;
using System.Runtime.Intrinsics;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// The batch entry points of <see cref="RowKernels{TSimd, TVector, T}"/> for one vector width, as an object. A true
/// <c>streaming</c> argument writes the output past the caches (the caller decides for the whole batch: <see cref="Streaming"/>).
/// </summary>
internal unsafe interface IRowKernels<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    string Name { get; }
    void Probabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming = false);
    void LogProbabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming = false);
    void LongRow(T* logits, T* destination, int length, double temperature, bool masked, int degree, bool logarithm);
    void LogSumExp(T* logits, T* destination, int rows, int classes, double temperature);
    T LongLogSumExp(T* logits, int length, double temperature, int degree);
    void SmoothMax(T* logits, T* destination, int rows, int classes, double temperature, bool masked);
    T LongSmoothMax(T* logits, int length, double temperature, bool masked, int degree);
    void ProbabilitiesBackward(T* probabilities, T* outputGradient, T* destination, int rows, int classes, double temperature);
    void ProbabilitiesBackwardLongRow(T* probabilities, T* outputGradient, T* destination, int length, double temperature, int degree);
    void LogProbabilitiesBackward(T* logProbabilities, T* outputGradient, T* destination, int rows, int classes, double temperature, bool masked);
    void LogProbabilitiesBackwardLongRow(T* logProbabilities, T* outputGradient, T* destination, int length, double temperature, bool masked, int degree);
    void CrossEntropy(T* logits, int rows, int classes, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses, bool streaming = false);
    double CrossEntropyLongRow(T* logits, int classes, int* label, T* target, in CrossEntropySettings<T> settings, T* gradient, int degree);
}

/// <summary>Forwards to the static kernels of one width; one virtual call a batch, nothing per row.</summary>
internal sealed unsafe class WidthKernels<TSimd, TVector, T>(string name) : IRowKernels<T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public string Name => name;

    public void Probabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming = false) =>
        RowKernels<TSimd, TVector, T>.Probabilities(logits, destination, rows, classes, temperature, masked, streaming);

    public void LogProbabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked, bool streaming = false) =>
        RowKernels<TSimd, TVector, T>.LogProbabilities(logits, destination, rows, classes, temperature, masked, streaming);

    public void LongRow(T* logits, T* destination, int length, double temperature, bool masked, int degree, bool logarithm) =>
        RowKernels<TSimd, TVector, T>.LongRow(logits, destination, length, temperature, masked, degree, logarithm);

    public void LogSumExp(T* logits, T* destination, int rows, int classes, double temperature) =>
        RowKernels<TSimd, TVector, T>.LogSumExp(logits, destination, rows, classes, temperature);

    public T LongLogSumExp(T* logits, int length, double temperature, int degree) =>
        RowKernels<TSimd, TVector, T>.LongLogSumExp(logits, length, temperature, degree);

    public void SmoothMax(T* logits, T* destination, int rows, int classes, double temperature, bool masked) =>
        RowKernels<TSimd, TVector, T>.SmoothMax(logits, destination, rows, classes, temperature, masked);

    public T LongSmoothMax(T* logits, int length, double temperature, bool masked, int degree) =>
        RowKernels<TSimd, TVector, T>.LongSmoothMax(logits, length, temperature, masked, degree);

    public void ProbabilitiesBackward(T* probabilities, T* outputGradient, T* destination, int rows, int classes, double temperature) =>
        RowKernels<TSimd, TVector, T>.ProbabilitiesBackward(probabilities, outputGradient, destination, rows, classes, temperature);

    public void ProbabilitiesBackwardLongRow(T* probabilities, T* outputGradient, T* destination, int length, double temperature, int degree) =>
        RowKernels<TSimd, TVector, T>.ProbabilitiesBackwardLongRow(probabilities, outputGradient, destination, length, temperature, degree);

    public void LogProbabilitiesBackwardLongRow(T* logProbabilities, T* outputGradient, T* destination, int length, double temperature, bool masked, int degree) =>
        RowKernels<TSimd, TVector, T>.LogProbabilitiesBackwardLongRow(logProbabilities, outputGradient, destination, length, temperature, masked, degree);

    public void LogProbabilitiesBackward(T* logProbabilities, T* outputGradient, T* destination, int rows, int classes, double temperature, bool masked) =>
        RowKernels<TSimd, TVector, T>.LogProbabilitiesBackward(logProbabilities, outputGradient, destination, rows, classes, temperature, masked);

    public void CrossEntropy(T* logits, int rows, int classes, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses, bool streaming = false) =>
        RowKernels<TSimd, TVector, T>.CrossEntropy(logits, rows, classes, labels, targets, settings, gradient, losses, streaming);

    public double CrossEntropyLongRow(T* logits, int classes, int* label, T* target, in CrossEntropySettings<T> settings, T* gradient, int degree) =>
        RowKernels<TSimd, TVector, T>.CrossEntropyLongRow(logits, classes, label, target, settings, gradient, degree);
}

/// <summary>The kernels of every vector width this machine runs, widest first, and the one the library uses.</summary>
internal static class Dispatch<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>AVX-512 if present, else AVX2, else width one: the same arithmetic at every width.</summary>
    public static IReadOnlyList<IRowKernels<T>> Available { get; } = Detect();

    /// <summary>The widest: what the public API uses.</summary>
    public static IRowKernels<T> Best { get; } = Available[0];

    private static IRowKernels<T>[] Detect()
    {
        var widths = new List<IRowKernels<T>>();
        if (Simd512<T>.IsSupported) widths.Add(new WidthKernels<Simd512<T>, Vector512<T>, T>("avx512"));
        if (Simd256<T>.IsSupported) widths.Add(new WidthKernels<Simd256<T>, Vector256<T>, T>("avx2"));
        widths.Add(new WidthKernels<SimdScalar<T>, T, T>("scalar"));
        return [.. widths];
    }
}
