using System.Buffers;
using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>
/// The type-generic body behind every <see cref="CrossEntropy"/> overload. Every check runs before the first
/// write, so a refused call leaves an in-place logits buffer untouched. Per-row losses are summed in row order
/// after the parallel part, so the reduced loss does not depend on the thread count.
/// </summary>
internal static unsafe class CrossEntropyCore<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // labels or targets (chosen by soft); rowLosses only when perRow; gradient only when withGradient.
    public static double Run(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<int> labels, ReadOnlySpan<T> targets, bool soft,
        Span<T> rowLosses, bool perRow, Span<T> gradient, bool withGradient, CrossEntropyOptions? options)
    {
        options ??= CrossEntropyOptions.Default;
        int rows = Validate.Rows(logits, classes);
        if (soft)
        {
            if (targets.Length != logits.Length)
                ThrowHelper.LengthMismatch(nameof(targets), logits.Length, targets.Length, "The soft targets must match the logits");
            Validate.Targets(targets, classes);
        }
        else
        {
            if (labels.Length != rows)
                ThrowHelper.LengthMismatch(nameof(labels), rows, labels.Length, "One label a row is needed");
            for (int row = 0; row < labels.Length; row++)
                if ((uint)labels[row] >= (uint)classes && labels[row] != options.IgnoreLabel)
                    ThrowHelper.LabelOutOfRange(row, labels[row], classes);
        }
        double[]? classWeights = options.ClassWeights;
        if (classWeights is not null && classWeights.Length != classes)
            ThrowHelper.LengthMismatch(nameof(options), classes, classWeights.Length, "CrossEntropyOptions.ClassWeights needs one weight a class");
        if (perRow)
        {
            Validate.Destination(rows, rowLosses, "losses");
            Validate.Disjoint(logits, rowLosses, "losses", nameof(logits));
            if (soft) Validate.Disjoint(targets, rowLosses, "losses", nameof(targets));
        }
        if (withGradient)
        {
            Validate.Destination(logits.Length, gradient, nameof(gradient));
            Validate.InPlaceOrDisjoint(logits, gradient, nameof(gradient), nameof(logits));
            if (soft) Validate.Disjoint(targets, gradient, nameof(gradient), nameof(targets));
            if (perRow) Validate.Disjoint(rowLosses, gradient, nameof(gradient), "losses");
        }

        // The mean divides by the total weight of the rows that count, known from the labels alone.
        double denominator = rows;
        if (!soft)
        {
            denominator = 0;
            foreach (int label in labels)
                if (label != options.IgnoreLabel)
                    denominator += classWeights is null ? 1 : classWeights[label];
        }
        bool mean = !perRow && options.Reduction == Reduction.Mean;
        double scale = mean ? (denominator > 0 ? 1 / denominator : 0) : 1;

        T[]? weightsBuffer = classWeights is null ? null : ArrayPool<T>.Shared.Rent(classes);
        double[] losses = ArrayPool<double>.Shared.Rent(rows);
        try
        {
            if (weightsBuffer is not null)
                for (int j = 0; j < classes; j++) weightsBuffer[j] = T.CreateTruncating(classWeights![j]);
            fixed (T* z = logits)
            fixed (T* t = targets)
            fixed (int* y = labels)
            fixed (T* g = gradient)
            fixed (T* w = weightsBuffer)
            fixed (double* l = losses)
            {
                var settings = new CrossEntropySettings<T>
                {
                    Weights = w,
                    Smoothing = options.LabelSmoothing,
                    Masked = options.Masked,
                    HasIgnoreLabel = options.IgnoreLabel.HasValue,
                    IgnoreLabel = options.IgnoreLabel ?? 0,
                    GradientScale = scale,
                };
                int degree = RowParallel.Degree(options.MaxDegreeOfParallelism);
                if (RowParallel.SplitsEachRow(rows, classes, degree))
                {
                    // Fewer rows than cores: split each row instead, as softmax does.
                    for (int row = 0; row < rows; row++)
                    {
                        nint offset = (nint)row * classes;
                        l[row] = Dispatch<T>.Best.CrossEntropyLongRow(z + offset, classes, soft ? null : y + row, soft ? t + offset : null,
                            settings, withGradient ? g + offset : null, degree);
                    }
                }
                else
                {
                    nint zp = (nint)z, tp = soft ? (nint)t : 0, yp = soft ? 0 : (nint)y, gp = withGradient ? (nint)g : 0, lp = (nint)l;
                    bool streaming = withGradient && Streaming.Worth(rows, classes, sizeof(T));
                    RowParallel.For(rows, classes, options.MaxDegreeOfParallelism, (first, count) =>
                    {
                        nint offset = (nint)first * classes;
                        Dispatch<T>.Best.CrossEntropy((T*)zp + offset, count, classes,
                            yp == 0 ? null : (int*)yp + first,
                            tp == 0 ? null : (T*)tp + offset,
                            settings,
                            gp == 0 ? null : (T*)gp + offset,
                            (double*)lp + first,
                            streaming);
                    });
                }
            }
            if (perRow)
            {
                for (int row = 0; row < rows; row++) rowLosses[row] = T.CreateTruncating(losses[row]);
                return double.NaN;
            }
            double total = 0;
            for (int row = 0; row < rows; row++) total += losses[row];
            return mean ? (denominator > 0 ? total / denominator : 0) : total;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(losses);
            if (weightsBuffer is not null) ArrayPool<T>.Shared.Return(weightsBuffer);
        }
    }
}
