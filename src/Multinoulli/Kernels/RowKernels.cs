using System.Numerics;
using System.Runtime.CompilerServices;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// The softmax family over rows of logits, for one vector width. Pass one reads the row once, in chunks small
/// enough to stay in L1: each chunk's maximum, then its exponentials summed in float64 against the running
/// maximum (rescaling the sum when the maximum grows), so even a row of millions of logits is read from memory
/// once. Pass two writes exp((z − shift)/temperature) or (z − shift)/temperature with the shift exact.
/// </summary>
internal static unsafe class RowKernels<TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int ChunkBytes = 8192;

    private static int ChunkLength => ChunkBytes / sizeof(T);

    // ---- pass one ------------------------------------------------------------------------------------------

    public static RowStatistics Statistics<TArgument>(T* logits, int length, double inverseTemperature)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        T runningMax = T.NegativeInfinity;
        // Chunk sums are added with Neumaier's compensation: a million double terms would otherwise drift by 1e-13.
        double sum = 0, compensation = 0;
        int chunk = ChunkLength;
        for (int start = 0; start < length; start += chunk)
        {
            int count = Math.Min(chunk, length - start);
            T* block = logits + start;
            T chunkMax = ChunkMax(block, count);
            if (T.IsNaN(chunkMax)) return RowStatistics.Special(RowKind.NaN);
            if (T.IsPositiveInfinity(chunkMax)) return RowStatistics.Special(RowKind.PositiveInfinity);
            if (T.IsNegativeInfinity(chunkMax))
            {
                // The hardware maximum may have stepped over a NaN; an all −∞ chunk must prove it holds none.
                if (SpecialRows<T>.ContainsNaN(block, count)) return RowStatistics.Special(RowKind.NaN);
                continue;
            }
            if (chunkMax > runningMax)
            {
                if (sum != 0)
                {
                    double rescale = Math.Exp((double.CreateTruncating(runningMax) - double.CreateTruncating(chunkMax)) * inverseTemperature);
                    sum *= rescale;
                    compensation *= rescale;
                }
                runningMax = chunkMax;
            }
            double term = ChunkSumExp(block, count, TArgument.Create(runningMax, T.Zero, inverseTemperature));
            double total = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - total) + term : (term - total) + sum;
            sum = total;
        }
        sum += compensation;
        if (double.IsNaN(sum)) return RowStatistics.Special(RowKind.NaN);
        if (T.IsNegativeInfinity(runningMax)) return RowStatistics.Special(RowKind.AllMasked);
        return new RowStatistics(RowKind.Finite, double.CreateTruncating(runningMax), sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ChunkMax(T* values, int count)
    {
        int width = TSimd.Count;
        var max0 = TSimd.Create(T.NegativeInfinity);
        var max1 = max0;
        int i = 0;
        for (; i <= count - 2 * width; i += 2 * width)
        {
            max0 = TSimd.Max(max0, TSimd.Load(values + i));
            max1 = TSimd.Max(max1, TSimd.Load(values + i + width));
        }
        if (i <= count - width)
        {
            max0 = TSimd.Max(max0, TSimd.Load(values + i));
            i += width;
        }
        if (i < count)
            max1 = TSimd.Max(max1, TSimd.LoadTail(values + i, count - i, T.NegativeInfinity));
        return TSimd.MaxAcross(TSimd.Max(max0, max1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ChunkSumExp<TArgument>(T* logits, int count, TArgument argument)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        var low = TSimd.Create(T.Zero);
        var high = low;
        int i = 0;
        for (; i <= count - width; i += width)
        {
            argument.Compute(TSimd.Load(logits + i), out var hi, out var lo);
            TSimd.AddWide(VectorMath.Exp<TSimd, TVector, T>(hi, lo), ref low, ref high);
        }
        if (i < count)
        {
            // −∞ in the spare lanes: their exponential is exactly 0.
            argument.Compute(TSimd.LoadTail(logits + i, count - i, T.NegativeInfinity), out var hi, out var lo);
            TSimd.AddWide(VectorMath.Exp<TSimd, TVector, T>(hi, lo), ref low, ref high);
        }
        return TSimd.SumWide(low, high);
    }

    // ---- pass two ------------------------------------------------------------------------------------------

    /// <summary>destination = exp(argument(z)); safe in place.</summary>
    private static void WriteExp<TArgument>(T* logits, T* destination, int length, TArgument argument)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        int i = 0;
        for (; i <= length - width; i += width)
        {
            argument.Compute(TSimd.Load(logits + i), out var hi, out var lo);
            TSimd.Store(destination + i, VectorMath.Exp<TSimd, TVector, T>(hi, lo));
        }
        if (i < length)
        {
            argument.Compute(TSimd.LoadTail(logits + i, length - i, T.NegativeInfinity), out var hi, out var lo);
            TSimd.StoreTail(destination + i, length - i, VectorMath.Exp<TSimd, TVector, T>(hi, lo));
        }
    }

    /// <summary>destination = argument(z) rounded once; −∞ logits stay −∞. Safe in place.</summary>
    private static void WriteArgument<TArgument>(T* logits, T* destination, int length, TArgument argument)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        int width = TSimd.Count;
        int i = 0;
        for (; i <= length - width; i += width)
            TSimd.Store(destination + i, Rounded(TSimd.Load(logits + i), argument));
        if (i < length)
            TSimd.StoreTail(destination + i, length - i, Rounded(TSimd.LoadTail(logits + i, length - i, T.Zero), argument));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Rounded<TArgument>(TVector logits, TArgument argument)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        argument.Compute(logits, out var hi, out var lo);
        // The low part of −∞ is NaN (∞ − ∞); −∞ is already the answer.
        return TSimd.Select(TSimd.Equal(hi, TSimd.Create(T.NegativeInfinity)), hi, TSimd.Add(hi, lo));
    }

    // ---- rows ----------------------------------------------------------------------------------------------

    public static void Probabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (temperature == 1) Probabilities<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked);
        else Probabilities<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked);
    }

    private static void Probabilities<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        for (int row = 0; row < rows; row++)
        {
            T* z = logits + (nint)row * classes;
            T* p = destination + (nint)row * classes;
            var statistics = Statistics<TArgument>(z, classes, inverse);
            if (statistics.Kind != RowKind.Finite)
            {
                SpecialRows<T>.Write(statistics.Kind, z, p, classes, logarithm: false, masked);
                continue;
            }
            var (high, low) = statistics.ProbabilityShift(temperature);
            var (shiftHigh, shiftLow) = VectorMath.Split<T>(high, low);
            WriteExp(z, p, classes, TArgument.Create(shiftHigh, shiftLow, inverse));
        }
    }

    public static void LogProbabilities(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (temperature == 1) LogProbabilities<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked);
        else LogProbabilities<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked);
    }

    private static void LogProbabilities<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        for (int row = 0; row < rows; row++)
        {
            T* z = logits + (nint)row * classes;
            T* y = destination + (nint)row * classes;
            var statistics = Statistics<TArgument>(z, classes, inverse);
            if (statistics.Kind != RowKind.Finite)
            {
                SpecialRows<T>.Write(statistics.Kind, z, y, classes, logarithm: true, masked);
                continue;
            }
            var (high, low) = statistics.ProbabilityShift(temperature);
            var (shiftHigh, shiftLow) = VectorMath.Split<T>(high, low);
            WriteArgument(z, y, classes, TArgument.Create(shiftHigh, shiftLow, inverse));
        }
    }

    public static void LogSumExp(T* logits, T* destination, int rows, int classes, double temperature)
    {
        if (temperature == 1) LogSumExp<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1);
        else LogSumExp<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature);
    }

    private static void LogSumExp<TArgument>(T* logits, T* destination, int rows, int classes, double temperature)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        for (int row = 0; row < rows; row++)
        {
            T* z = logits + (nint)row * classes;
            var statistics = Statistics<TArgument>(z, classes, inverse);
            destination[row] = statistics.Kind == RowKind.Finite
                ? T.CreateTruncating(statistics.LogNormalizer(inverse))
                : SpecialRows<T>.LogNormalizer(statistics.Kind, z, classes);
        }
    }

    public static void SmoothMax(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
    {
        if (temperature == 1) SmoothMax<ShiftArgument<TSimd, TVector, T>>(logits, destination, rows, classes, 1, masked);
        else SmoothMax<ShiftScaleArgument<TSimd, TVector, T>>(logits, destination, rows, classes, temperature, masked);
    }

    private static void SmoothMax<TArgument>(T* logits, T* destination, int rows, int classes, double temperature, bool masked)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        double inverse = 1 / temperature;
        int width = TSimd.Count;
        for (int row = 0; row < rows; row++)
        {
            T* z = logits + (nint)row * classes;
            var statistics = Statistics<TArgument>(z, classes, inverse);
            if (statistics.Kind != RowKind.Finite)
            {
                destination[row] = statistics.Kind == RowKind.AllMasked && masked
                    ? T.NegativeInfinity
                    : statistics.Kind == RowKind.AllMasked ? T.NaN : SpecialRows<T>.LogNormalizer(statistics.Kind, z, classes);
                continue;
            }
            // Σ pᵢzᵢ = max + Σ pᵢ(zᵢ − max): every term is ≤ 0, so the result never exceeds the max, and a
            // −∞ logit (pᵢ = 0) adds 0 rather than 0·∞.
            var (high, low) = statistics.ProbabilityShift(temperature);
            var (shiftHigh, shiftLow) = VectorMath.Split<T>(high, low);
            var probability = TArgument.Create(shiftHigh, shiftLow, inverse);
            var maximum = TSimd.Create(T.CreateTruncating(statistics.Max));
            var zero = TSimd.Create(T.Zero);
            var sumLow = zero;
            var sumHigh = zero;
            int i = 0;
            for (; i <= classes - width; i += width)
                TSimd.AddWide(WeightedGap(TSimd.Load(z + i), probability, maximum, zero), ref sumLow, ref sumHigh);
            if (i < classes)
                TSimd.AddWide(WeightedGap(TSimd.LoadTail(z + i, classes - i, T.NegativeInfinity), probability, maximum, zero), ref sumLow, ref sumHigh);
            destination[row] = T.CreateTruncating(statistics.Max + TSimd.SumWide(sumLow, sumHigh));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector WeightedGap<TArgument>(TVector logits, TArgument probability, TVector maximum, TVector zero)
        where TArgument : struct, IExponentArgument<TArgument, TSimd, TVector, T>
    {
        probability.Compute(logits, out var hi, out var lo);
        var p = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        return TSimd.Select(TSimd.Equal(p, zero), zero, TSimd.Multiply(p, TSimd.Subtract(logits, maximum)));
    }

    // ---- cross-entropy -------------------------------------------------------------------------------------

    /// <summary>
    /// The cross-entropy of each row against its label (<paramref name="labels"/>) or soft target
    /// (<paramref name="targets"/>), written to <paramref name="losses"/> (weighted, unscaled), and when
    /// <paramref name="gradient"/> is not null, ∂/∂z of (scale × loss) = scale·(p·A − w ⊙ t′). Safe when the
    /// gradient is the logits buffer itself: each element is read before it is overwritten.
    /// </summary>
    public static void CrossEntropy(T* logits, int rows, int classes, int* labels, T* targets, in CrossEntropySettings<T> settings, T* gradient, double* losses)
    {
        int width = TSimd.Count;
        for (int row = 0; row < rows; row++)
        {
            nint offset = (nint)row * classes;
            T* z = logits + offset;
            T* g = gradient == null ? null : gradient + offset;
            int label = labels == null ? -1 : labels[row];
            if (labels != null && settings.HasIgnoreLabel && label == settings.IgnoreLabel)
            {
                losses[row] = 0;
                if (g != null) SpecialRows<T>.Fill(g, classes, T.Zero);
                continue;
            }
            T* soft = targets == null ? null : targets + offset;
            var rowTargets = new RowTargets<T>(z, classes, label, soft, settings.Weights, settings.Smoothing, settings.Masked);
            var statistics = Statistics<ShiftArgument<TSimd, TVector, T>>(z, classes, 1);
            if (statistics.Kind != RowKind.Finite)
            {
                losses[row] = rowTargets.SpecialRow(statistics.Kind, z, classes, g, settings.GradientScale);
                continue;
            }
            var (weight, gap) = rowTargets.Sums(z, classes, statistics.Max);
            losses[row] = weight == 0 ? gap : weight * Math.Log(statistics.SumExp) + gap;
            if (g == null) continue;

            var (high, low) = statistics.ProbabilityShift(1);
            var (shiftHigh, shiftLow) = VectorMath.Split<T>(high, low);
            var probability = ShiftArgument<TSimd, TVector, T>.Create(shiftHigh, shiftLow, 1);
            var scale = TSimd.Create(T.CreateTruncating(settings.GradientScale));
            var rowWeight = TSimd.Create(T.CreateTruncating(weight));
            var uniform = TSimd.Create(T.CreateTruncating(rowTargets.Uniform));
            var keep = TSimd.Create(T.CreateTruncating(1 - settings.Smoothing));
            int i = 0;
            for (; i <= classes - width; i += width)
            {
                var w = settings.Weights == null ? TSimd.Create(T.One) : TSimd.Load(settings.Weights + i);
                var t = soft == null ? TSimd.Create(T.Zero) : TSimd.Load(soft + i);
                TSimd.Store(g + i, CrossEntropyGradient(TSimd.Load(z + i), t, w, probability, rowWeight, uniform, keep, scale, settings.Masked));
            }
            if (i < classes)
            {
                int rest = classes - i;
                var w = settings.Weights == null ? TSimd.Create(T.One) : TSimd.LoadTail(settings.Weights + i, rest, T.Zero);
                var t = soft == null ? TSimd.Create(T.Zero) : TSimd.LoadTail(soft + i, rest, T.Zero);
                TSimd.StoreTail(g + i, rest, CrossEntropyGradient(TSimd.LoadTail(z + i, rest, T.NegativeInfinity), t, w, probability, rowWeight, uniform, keep, scale, settings.Masked));
            }
            if (soft == null)
            {
                // The one-hot part of the target, added once at the label.
                double own = settings.GradientScale * rowTargets.Weight(label) * (1 - settings.Smoothing);
                g[label] = T.CreateTruncating(double.CreateTruncating(g[label]) - own);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector CrossEntropyGradient(TVector logits, TVector soft, TVector weights, ShiftArgument<TSimd, TVector, T> probability,
        TVector rowWeight, TVector uniform, TVector keep, TVector scale, bool masked)
    {
        probability.Compute(logits, out var hi, out var lo);
        var p = VectorMath.Exp<TSimd, TVector, T>(hi, lo);
        var share = masked
            ? TSimd.Select(TSimd.Equal(logits, TSimd.Create(T.NegativeInfinity)), TSimd.Create(T.Zero), uniform)
            : uniform;
        var target = TSimd.MultiplyAdd(soft, keep, share);
        var difference = TSimd.Subtract(TSimd.Multiply(p, rowWeight), TSimd.Multiply(weights, target));
        return TSimd.Multiply(difference, scale);
    }

    // ---- backward ------------------------------------------------------------------------------------------

    /// <summary>dz = (p ⊙ (g − pᵀg)) / temperature, row by row. Safe when destination is p or g itself.</summary>
    public static void ProbabilitiesBackward(T* probabilities, T* outputGradient, T* destination, int rows, int classes, double temperature)
    {
        int width = TSimd.Count;
        var inverse = TSimd.Create(T.CreateTruncating(1 / temperature));
        for (int row = 0; row < rows; row++)
        {
            nint offset = (nint)row * classes;
            T* p = probabilities + offset;
            T* g = outputGradient + offset;
            T* d = destination + offset;
            var low = TSimd.Create(T.Zero);
            var high = low;
            int i = 0;
            for (; i <= classes - width; i += width)
                TSimd.AddWide(TSimd.Multiply(TSimd.Load(p + i), TSimd.Load(g + i)), ref low, ref high);
            if (i < classes)
                TSimd.AddWide(TSimd.Multiply(TSimd.LoadTail(p + i, classes - i, T.Zero), TSimd.LoadTail(g + i, classes - i, T.Zero)), ref low, ref high);
            var dot = TSimd.Create(T.CreateTruncating(TSimd.SumWide(low, high)));
            for (i = 0; i <= classes - width; i += width)
                TSimd.Store(d + i, TSimd.Multiply(TSimd.Multiply(TSimd.Load(p + i), TSimd.Subtract(TSimd.Load(g + i), dot)), inverse));
            if (i < classes)
            {
                int rest = classes - i;
                var value = TSimd.Multiply(TSimd.Multiply(TSimd.LoadTail(p + i, rest, T.Zero), TSimd.Subtract(TSimd.LoadTail(g + i, rest, T.Zero), dot)), inverse);
                TSimd.StoreTail(d + i, rest, value);
            }
        }
    }

    /// <summary>
    /// dz = (g − exp(y)·Σg) / temperature, row by row, from log-probabilities y. A row whose every y is −∞
    /// (a fully masked row) gets a zero gradient when <paramref name="masked"/>. Safe in place.
    /// </summary>
    public static void LogProbabilitiesBackward(T* logProbabilities, T* outputGradient, T* destination, int rows, int classes, double temperature, bool masked)
    {
        int width = TSimd.Count;
        var inverse = TSimd.Create(T.CreateTruncating(1 / temperature));
        var zero = TSimd.Create(T.Zero);
        var negativeInfinity = TSimd.Create(T.NegativeInfinity);
        for (int row = 0; row < rows; row++)
        {
            nint offset = (nint)row * classes;
            T* y = logProbabilities + offset;
            T* g = outputGradient + offset;
            T* d = destination + offset;
            var low = zero;
            var high = zero;
            var allMasked = true;
            int i = 0;
            for (; i <= classes - width; i += width)
            {
                TSimd.AddWide(TSimd.Load(g + i), ref low, ref high);
                allMasked &= TSimd.All(TSimd.Equal(TSimd.Load(y + i), negativeInfinity));
            }
            if (i < classes)
            {
                TSimd.AddWide(TSimd.LoadTail(g + i, classes - i, T.Zero), ref low, ref high);
                allMasked &= TSimd.All(TSimd.Equal(TSimd.LoadTail(y + i, classes - i, T.NegativeInfinity), negativeInfinity));
            }
            if (masked && allMasked)
            {
                SpecialRows<T>.Fill(d, classes, T.Zero);
                continue;
            }
            var total = TSimd.Create(T.CreateTruncating(TSimd.SumWide(low, high)));
            for (i = 0; i <= classes - width; i += width)
                TSimd.Store(d + i, LogBackward(TSimd.Load(y + i), TSimd.Load(g + i), total, inverse, zero));
            if (i < classes)
            {
                int rest = classes - i;
                TSimd.StoreTail(d + i, rest, LogBackward(TSimd.LoadTail(y + i, rest, T.NegativeInfinity), TSimd.LoadTail(g + i, rest, T.Zero), total, inverse, zero));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector LogBackward(TVector logProbability, TVector gradient, TVector total, TVector inverse, TVector zero)
    {
        var p = VectorMath.Exp<TSimd, TVector, T>(logProbability, zero);
        return TSimd.Multiply(TSimd.Subtract(gradient, TSimd.Multiply(p, total)), inverse);
    }
}
