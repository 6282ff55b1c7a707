using System.Buffers;
using System.Globalization;

namespace Multinoulli.Decoding;

internal sealed class TopPStep : SamplingStep
{
    // Below this many unresolved candidates an insertion sort finishes the job.
    private const int SortBelow = 16;

    private readonly double _p;

    public TopPStep(double p)
    {
        if (!(p > 0 && p <= 1)) ThrowHelper.OutOfRange(nameof(p), p, "top-p needs p in (0, 1].");
        _p = p;
    }

    internal override void Apply(ref Candidates candidates)
    {
        if (_p >= 1) return;
        candidates.MaterializeAll();
        double[] rented = ArrayPool<double>.Shared.Rent(candidates.Count);
        try
        {
            Span<double> weights = rented.AsSpan(0, candidates.Count);
            double need = _p * candidates.Weigh(weights);
            int kept = candidates.SortedDescending
                ? Prefix(weights, 0, weights.Length, need)
                : Select(candidates.Logits, candidates.Classes, weights, need);
            candidates.Truncate(kept, candidates.SortedDescending);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>The end of the shortest run from <paramref name="start"/> whose weights reach <paramref name="need"/>.</summary>
    private static int Prefix(ReadOnlySpan<double> weights, int start, int end, double need)
    {
        double running = 0;
        for (int i = start; i < end; i++)
        {
            running += weights[i];
            if (running >= need) return i + 1;
        }
        return end;
    }

    /// <summary>
    /// Quickselect on rank: moves the smallest qualifying set to the front and returns its size. Each round splits the
    /// unresolved range around a pivot; the better side either holds the boundary or is kept whole.
    /// </summary>
    private static int Select(Span<float> logits, Span<int> classes, Span<double> weights, double need)
    {
        int lo = 0, hi = logits.Length;
        while (hi - lo > SortBelow)
        {
            int pivot = MedianOfThree(logits, classes, lo, lo + (hi - lo) / 2, hi - 1);
            Swap(logits, classes, weights, pivot, hi - 1);
            int store = lo;
            double better = 0;
            for (int i = lo; i < hi - 1; i++)
            {
                if (!Ranks(logits, classes, i, hi - 1)) continue;
                Swap(logits, classes, weights, i, store);
                better += weights[store++];
            }
            Swap(logits, classes, weights, store, hi - 1);
            if (better >= need) hi = store;
            else if (better + weights[store] >= need) return store + 1;
            else
            {
                need -= better + weights[store];
                lo = store + 1;
            }
        }
        // Finish by sorting the few left: insertion sort by rank.
        for (int i = lo + 1; i < hi; i++)
            for (int j = i; j > lo && Ranks(logits, classes, j, j - 1); j--) Swap(logits, classes, weights, j, j - 1);
        return Prefix(weights, lo, hi, need);
    }

    /// <summary>Whether candidate a ranks before candidate b: larger logit, or equal logit and lower class.</summary>
    private static bool Ranks(Span<float> logits, Span<int> classes, int a, int b) =>
        logits[a] > logits[b] || (logits[a] == logits[b] && classes[a] < classes[b]);

    private static int MedianOfThree(Span<float> logits, Span<int> classes, int a, int b, int c)
    {
        if (Ranks(logits, classes, b, a)) (a, b) = (b, a);
        if (Ranks(logits, classes, c, b)) (b, c) = (c, b);
        if (Ranks(logits, classes, b, a)) (a, b) = (b, a);
        return b;
    }

    private static void Swap(Span<float> logits, Span<int> classes, Span<double> weights, int a, int b)
    {
        (logits[a], logits[b]) = (logits[b], logits[a]);
        (classes[a], classes[b]) = (classes[b], classes[a]);
        (weights[a], weights[b]) = (weights[b], weights[a]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"top-p {_p}");
}
