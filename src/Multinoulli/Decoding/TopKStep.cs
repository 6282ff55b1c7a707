using System.Buffers;
using System.Globalization;
using System.Numerics;
using Multinoulli.Distributions;

namespace Multinoulli.Decoding;

internal sealed class TopKStep : SamplingStep
{
    private readonly int _k;

    public TopKStep(int k)
    {
        if (k < 1) ThrowHelper.OutOfRange(nameof(k), k, "top-k needs k ≥ 1.");
        _k = k;
    }

    internal override void Apply(ref Candidates candidates)
    {
        if (candidates.Count <= _k) return;
        double[] keys = ArrayPool<double>.Shared.Rent(_k);
        int[] classes = ArrayPool<int>.Shared.Rent(_k);
        try
        {
            var heap = new TopHeap(keys.AsSpan(0, _k), classes.AsSpan(0, _k));
            if (candidates.All) OfferRow(ref heap, candidates.Row);
            else
            {
                Span<float> logits = candidates.Logits;
                Span<int> indices = candidates.Classes;
                for (int i = 0; i < logits.Length; i++) heap.Offer(logits[i], indices[i]);
            }
            int kept = heap.SortDescending();
            candidates.Replace(keys.AsSpan(0, kept), classes.AsSpan(0, kept));
        }
        finally
        {
            ArrayPool<double>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(classes);
        }
    }

    /// <summary>
    /// Offers the row in class order. Once the heap is full, a later class needs a logit strictly above the worst
    /// kept one (a tie loses to the lower index already kept), so whole vectors below it are skipped at once.
    /// </summary>
    private static void OfferRow(ref TopHeap heap, ReadOnlySpan<float> row)
    {
        int i = 0;
        for (; i < row.Length && !heap.IsFull; i++)
            if (!float.IsNegativeInfinity(row[i])) heap.Offer(row[i], i);
        int width = Vector<float>.Count;
        for (; i <= row.Length - width; i += width)
        {
            if (!Vector.GreaterThanAny(new Vector<float>(row[i..]), new Vector<float>((float)heap.Threshold))) continue;
            for (int j = i; j < i + width; j++)
                if (row[j] > heap.Threshold) heap.Offer(row[j], j);
        }
        for (; i < row.Length; i++)
            if (row[i] > heap.Threshold) heap.Offer(row[i], i);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"top-k {_k}");
}
