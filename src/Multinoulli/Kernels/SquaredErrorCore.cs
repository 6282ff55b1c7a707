using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>The type-generic body of <see cref="SquaredError"/>; a comparison baseline, so plain loops suffice.</summary>
internal static unsafe class SquaredErrorCore<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static double Run(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<int> labels, Span<T> gradient, bool withGradient, Reduction reduction)
    {
        int rows = Validate.Rows(logits, classes);
        if (labels.Length != rows) ThrowHelper.LengthMismatch(nameof(labels), rows, labels.Length, "One label a row is needed");
        for (int row = 0; row < rows; row++)
            if ((uint)labels[row] >= (uint)classes) ThrowHelper.LabelOutOfRange(row, labels[row], classes);
        if (withGradient)
        {
            Validate.Destination(logits.Length, gradient, nameof(gradient));
            Validate.InPlaceOrDisjoint(logits, gradient, nameof(gradient), nameof(logits));
        }
        double scale = reduction == Reduction.Mean ? 1.0 / rows : 1;
        var probabilities = new T[classes];
        double total = 0;
        fixed (T* z = logits)
        fixed (T* p = probabilities)
        {
            for (int row = 0; row < rows; row++)
            {
                T* rowLogits = z + (nint)row * classes;
                Dispatch<T>.Best.Probabilities(rowLogits, p, 1, classes, 1, masked: false);
                int label = labels[row];
                double loss = 0, dot = 0;
                for (int j = 0; j < classes; j++)
                {
                    double difference = double.CreateTruncating(p[j]) - (j == label ? 1 : 0);
                    loss += difference * difference;
                    dot += double.CreateTruncating(p[j]) * 2 * difference;
                }
                total += loss;
                if (!withGradient) continue;
                var g = gradient.Slice(row * classes, classes);
                for (int j = 0; j < classes; j++)
                {
                    double pj = double.CreateTruncating(p[j]);
                    double upstream = 2 * (pj - (j == label ? 1 : 0));
                    g[j] = T.CreateTruncating(scale * pj * (upstream - dot));
                }
            }
        }
        return total * scale;
    }
}
