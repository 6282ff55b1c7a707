using System.Buffers;
using System.Numerics;

namespace Multinoulli.Decoding;

/// <summary>
/// The classes still in the running during one decoding step, and the temperature applied so far. Until a step
/// removes classes, the candidates are "every class of the row with a logit above −∞" and nothing is copied;
/// the first truncation copies the survivors (logit and class index) into pooled scratch.
/// </summary>
internal ref struct Candidates
{
    private float[]? _logitStore;
    private int[]? _classStore;

    public Candidates(ReadOnlySpan<float> row)
    {
        Row = row;
        All = true;
        Scale = 1;
        var (max, possible) = Scan(row);
        Count = possible;
        Max = max;
        if (float.IsPositiveInfinity(max))
        {
            // +∞ classes take all the mass (the limit of softmax), equally: keep them, each at logit 0.
            int kept = 0;
            Materialize(possible);
            for (int i = 0; i < row.Length; i++)
                if (float.IsPositiveInfinity(row[i])) Keep(ref kept, 0f, i);
            Count = kept;
            Max = 0;
        }
    }

    /// <summary>The raw logits of the whole row.</summary>
    public ReadOnlySpan<float> Row { get; }

    /// <summary>True while every possible class of <see cref="Row"/> is a candidate and nothing has been copied.</summary>
    public bool All { get; private set; }

    /// <summary>The number of candidates.</summary>
    public int Count { get; private set; }

    /// <summary>The largest candidate logit.</summary>
    public float Max { get; private set; }

    /// <summary>1 / (product of the temperatures so far): the distribution is ∝ exp(Scale · z) over the candidates.</summary>
    public double Scale { get; set; }

    /// <summary>True when the copied candidates are in decreasing order of logit (ties: increasing class).</summary>
    public bool SortedDescending { get; private set; }

    /// <summary>The copied candidates' logits (first <see cref="Count"/>); only when <see cref="All"/> is false.</summary>
    public readonly Span<float> Logits => _logitStore.AsSpan(0, Count);

    /// <summary>The copied candidates' class indices, parallel to <see cref="Logits"/>.</summary>
    public readonly Span<int> Classes => _classStore.AsSpan(0, Count);

    /// <summary>Copies every possible class, in class order, so that a step can reorder or weigh them.</summary>
    public void MaterializeAll()
    {
        if (!All) return;
        Materialize(Count);
        int kept = 0;
        for (int i = 0; i < Row.Length; i++)
            if (!float.IsNegativeInfinity(Row[i])) Keep(ref kept, Row[i], i);
        Count = kept;
    }

    /// <summary>Keeps the candidates for which <paramref name="keep"/> holds (a pass over the row while <see cref="All"/>).</summary>
    public void Filter<TPredicate>(TPredicate keep) where TPredicate : struct, ILogitPredicate
    {
        int kept = 0;
        if (All)
        {
            Materialize(Count);
            for (int i = 0; i < Row.Length; i++)
                if (!float.IsNegativeInfinity(Row[i]) && keep.Keeps(Row[i])) Keep(ref kept, Row[i], i);
        }
        else
        {
            Span<float> logits = Logits;
            Span<int> classes = Classes;
            for (int i = 0; i < logits.Length; i++)
                if (keep.Keeps(logits[i])) Keep(ref kept, logits[i], classes[i]);
        }
        // Filtering keeps the order, so a sorted set stays sorted.
        Count = kept;
    }

    /// <summary>Keeps only the first <paramref name="count"/> copied candidates (after a step has reordered them).</summary>
    public void Truncate(int count, bool sortedDescending)
    {
        Count = count;
        SortedDescending = sortedDescending;
        Max = float.NegativeInfinity;
        foreach (float z in Logits) Max = Math.Max(Max, z);
    }

    /// <summary>Replaces the candidates by the given ones, best first.</summary>
    public void Replace(ReadOnlySpan<double> logits, ReadOnlySpan<int> classes)
    {
        Materialize(logits.Length);
        int kept = 0;
        for (int i = 0; i < logits.Length; i++) Keep(ref kept, (float)logits[i], classes[i]);
        Truncate(kept, sortedDescending: true);
    }

    /// <summary>Ensures room for <paramref name="capacity"/> copied candidates and leaves the row-is-everything state.</summary>
    public void Materialize(int capacity)
    {
        if (_logitStore is null || _logitStore.Length < capacity)
        {
            ReturnStorage();
            _logitStore = ArrayPool<float>.Shared.Rent(Math.Max(capacity, 1));
            _classStore = ArrayPool<int>.Shared.Rent(Math.Max(capacity, 1));
        }
        All = false;
    }

    /// <summary>The unnormalised weight exp(Scale · (z − Max)) of each candidate, in double, and their sum.</summary>
    public readonly double Weigh(Span<double> weights)
    {
        double total = 0;
        ReadOnlySpan<float> logits = Logits;
        for (int i = 0; i < logits.Length; i++)
            total += weights[i] = Math.Exp(Scale * ((double)logits[i] - Max));
        return total;
    }

    public void ReturnStorage()
    {
        if (_logitStore is not null) ArrayPool<float>.Shared.Return(_logitStore);
        if (_classStore is not null) ArrayPool<int>.Shared.Return(_classStore);
        _logitStore = null;
        _classStore = null;
    }

    private readonly void Keep(ref int kept, float logit, int index)
    {
        _logitStore![kept] = logit;
        _classStore![kept] = index;
        kept++;
    }

    /// <summary>The largest logit and the number of logits above −∞, in one vectorised pass; refuses NaN and an all −∞ row.</summary>
    private static (float Max, int Possible) Scan(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty) ThrowHelper.EmptyInput("logits");
        var max = new Vector<float>(float.NegativeInfinity);
        var impossible = Vector<int>.Zero;
        var negativeInfinity = new Vector<float>(float.NegativeInfinity);
        bool sawNaN = false;
        int i = 0;
        for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(row[i..]);
            sawNaN |= !Vector.EqualsAll(v, v);
            max = Vector.Max(max, v);
            // A true lane is all ones, −1 as an integer.
            impossible -= Vector.Equals(v, negativeInfinity);
        }
        float result = float.NegativeInfinity;
        for (int lane = 0; lane < Vector<float>.Count; lane++) result = Math.Max(result, max[lane]);
        int impossibleCount = Vector.Sum(impossible);
        for (; i < row.Length; i++)
        {
            float z = row[i];
            sawNaN |= float.IsNaN(z);
            result = Math.Max(result, z);
            if (float.IsNegativeInfinity(z)) impossibleCount++;
        }
        if (sawNaN) ThrowHelper.NotANumber("logits", FirstNaN(row));
        if (float.IsNegativeInfinity(result)) ThrowHelper.NoPositiveProbability("logits");
        return (result, row.Length - impossibleCount);
    }

    private static int FirstNaN(ReadOnlySpan<float> row)
    {
        for (int i = 0; i < row.Length; i++) if (float.IsNaN(row[i])) return i;
        return -1;
    }
}

/// <summary>A test on one candidate's logit, as a struct so that the filter loop is specialised for it.</summary>
internal interface ILogitPredicate
{
    bool Keeps(float logit);
}
