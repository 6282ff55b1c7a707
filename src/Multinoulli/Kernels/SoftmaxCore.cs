using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>The type-generic body behind every <see cref="Softmax"/> overload: validate, pin, split over threads.</summary>
internal static unsafe class SoftmaxCore<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public enum Output { Probabilities, LogProbabilities }

    public static void Distribution(ReadOnlySpan<T> logits, Span<T> destination, SoftmaxOptions? options, Output output)
    {
        if (logits.IsEmpty) ThrowHelper.EmptyInput(nameof(logits));
        Rows(logits, logits.Length, destination, options, output);
    }

    public static void Rows(ReadOnlySpan<T> logits, int classes, Span<T> destination, SoftmaxOptions? options, Output output)
    {
        int rows = Validate.Rows(logits, classes);
        Validate.Destination(logits.Length, destination);
        Validate.InPlaceOrDisjoint(logits, destination, nameof(destination), nameof(logits));
        options ??= SoftmaxOptions.Default;
        double temperature = options.Temperature;
        bool masked = options.Masked;
        int degree = RowParallel.Degree(options.MaxDegreeOfParallelism);
        fixed (T* source = logits)
        fixed (T* target = destination)
        {
            if (RowParallel.SplitsEachRow(rows, classes, degree))
            {
                // Fewer rows than cores: split each row instead, so one huge vocabulary row uses every core.
                for (int row = 0; row < rows; row++)
                    Dispatch<T>.Best.LongRow(source + (nint)row * classes, target + (nint)row * classes, classes, temperature, masked, degree,
                        logarithm: output == Output.LogProbabilities);
                return;
            }
            nint z = (nint)source, d = (nint)target;
            bool streaming = Streaming.Worth(rows, classes, sizeof(T));
            RowParallel.For(rows, classes, options.MaxDegreeOfParallelism, (first, count) =>
            {
                nint offset = (nint)first * classes;
                if (output == Output.Probabilities)
                    Dispatch<T>.Best.Probabilities((T*)z + offset, (T*)d + offset, count, classes, temperature, masked, streaming);
                else
                    Dispatch<T>.Best.LogProbabilities((T*)z + offset, (T*)d + offset, count, classes, temperature, masked, streaming);
            });
        }
    }

    public static T LogSumExp(ReadOnlySpan<T> logits, SoftmaxOptions? options) => OneRow(logits, options, Reduction.LogSumExp);

    public static T SmoothMax(ReadOnlySpan<T> logits, SoftmaxOptions? options) => OneRow(logits, options, Reduction.SmoothMax);

    /// <summary>One distribution's reduction: the batch path with a single row, so a long row splits as a batch's does.</summary>
    private static T OneRow(ReadOnlySpan<T> logits, SoftmaxOptions? options, Reduction reduction)
    {
        if (logits.IsEmpty) ThrowHelper.EmptyInput(nameof(logits));
        T result = default;
        PerRow(logits, logits.Length, new Span<T>(&result, 1), options, reduction);
        return result;
    }

    public enum Reduction { LogSumExp, SmoothMax }

    public static void PerRow(ReadOnlySpan<T> logits, int classes, Span<T> destination, SoftmaxOptions? options, Reduction reduction)
    {
        int rows = Validate.Rows(logits, classes);
        Validate.Destination(rows, destination);
        Validate.Disjoint(logits, destination, nameof(destination), nameof(logits));
        options ??= SoftmaxOptions.Default;
        double temperature = options.Temperature;
        bool masked = options.Masked;
        int degree = RowParallel.Degree(options.MaxDegreeOfParallelism);
        fixed (T* source = logits)
        fixed (T* target = destination)
        {
            if (RowParallel.SplitsEachRow(rows, classes, degree))
            {
                // Fewer rows than cores: split each row instead, as softmax does.
                for (int row = 0; row < rows; row++)
                    target[row] = reduction == Reduction.LogSumExp
                        ? Dispatch<T>.Best.LongLogSumExp(source + (nint)row * classes, classes, temperature, degree)
                        : Dispatch<T>.Best.LongSmoothMax(source + (nint)row * classes, classes, temperature, masked, degree);
                return;
            }
            nint z = (nint)source, d = (nint)target;
            RowParallel.For(rows, classes, options.MaxDegreeOfParallelism, (first, count) =>
            {
                T* rowLogits = (T*)z + (nint)first * classes;
                if (reduction == Reduction.LogSumExp)
                    Dispatch<T>.Best.LogSumExp(rowLogits, (T*)d + first, count, classes, temperature);
                else
                    Dispatch<T>.Best.SmoothMax(rowLogits, (T*)d + first, count, classes, temperature, masked);
            });
        }
    }

    public enum Backward { Probabilities, LogProbabilities }

    public static void Gradient(ReadOnlySpan<T> outputs, ReadOnlySpan<T> outputGradient, int classes, Span<T> destination, SoftmaxOptions? options, Backward kind)
    {
        string outputsName = kind == Backward.Probabilities ? "probabilities" : "logProbabilities";
        int rows = Validate.Rows(outputs, classes, outputsName);
        if (outputGradient.Length != outputs.Length)
            ThrowHelper.LengthMismatch(nameof(outputGradient), outputs.Length, outputGradient.Length, $"The output gradient must match '{outputsName}'");
        Validate.Destination(outputs.Length, destination);
        Validate.InPlaceOrDisjoint(outputs, destination, nameof(destination), outputsName);
        Validate.InPlaceOrDisjoint(outputGradient, destination, nameof(destination), nameof(outputGradient));
        options ??= SoftmaxOptions.Default;
        double temperature = options.Temperature;
        bool masked = options.Masked;
        int degree = RowParallel.Degree(options.MaxDegreeOfParallelism);
        fixed (T* y = outputs)
        fixed (T* g = outputGradient)
        fixed (T* target = destination)
        {
            if (RowParallel.SplitsEachRow(rows, classes, degree))
            {
                // Fewer rows than cores: split each row instead, as the forward pass does.
                for (int row = 0; row < rows; row++)
                {
                    nint offset = (nint)row * classes;
                    if (kind == Backward.Probabilities)
                        Dispatch<T>.Best.ProbabilitiesBackwardLongRow(y + offset, g + offset, target + offset, classes, temperature, degree);
                    else
                        Dispatch<T>.Best.LogProbabilitiesBackwardLongRow(y + offset, g + offset, target + offset, classes, temperature, masked, degree);
                }
                return;
            }
            nint a = (nint)y, b = (nint)g, d = (nint)target;
            RowParallel.For(rows, classes, options.MaxDegreeOfParallelism, (first, count) =>
            {
                nint offset = (nint)first * classes;
                if (kind == Backward.Probabilities)
                    Dispatch<T>.Best.ProbabilitiesBackward((T*)a + offset, (T*)b + offset, (T*)d + offset, count, classes, temperature);
                else
                    Dispatch<T>.Best.LogProbabilitiesBackward((T*)a + offset, (T*)b + offset, (T*)d + offset, count, classes, temperature, masked);
            });
        }
    }
}
