using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Multinoulli.Kernels;

/// <summary>
/// How a block of 16 rows of <see cref="Classes"/> values (that many vectors, in memory order) is reduced to one
/// vector of the 16 row sums, and how a per-row value goes back to every element of its row. While the row
/// length is even, adjacent pairs are added, halving the vectors: with in-lane shuffles where the pairs stay side
/// by side (every length but 8 and 16), else with two-source permutes that keep memory order. An odd length left
/// over is transposed by a chain of two-source permutes, one chain a position in the row, and the chains added.
/// Ten classes: 10 shuffles and 5 additions to halve, 20 permutes and 4 additions to finish. The shuffles move
/// the rows' lanes around; the plan follows every element, so the tables put each sum where it belongs.
/// </summary>
internal sealed unsafe class BlockPlan
{
    private const int Lanes = RowBlocks.Rows;

    private static readonly BlockPlan?[] s_plans = new BlockPlan?[RowBlocks.MaximumClasses + 1];

    private readonly int _halvings;
    private readonly bool _inLane;
    private readonly int _odd;
    private readonly Vector512<int>* _broadcast;   // [vector v]: lane p reads the sum of the row of element 16v + p
    private readonly Vector512<int>* _classOf;     // [vector v]: lane p holds the class of element 16v + p

    public int Classes { get; }

    /// <summary>The transposing chains' permute indices: [position j in the row][source vector t − 1], t = 1 … odd − 1.</summary>
    public Vector512<int>* Chains { get; }

    private BlockPlan(int classes)
    {
        Classes = classes;
        var layout = MemoryOrder(classes);
        _inLane = PairsStayInLane(classes);
        int length = classes;
        while (length % 2 == 0)
        {
            layout = _inLane ? HalveInLane(layout) : HalveInOrder(layout);
            length /= 2;
            _halvings++;
        }
        _odd = length;
        // Where row r's sum ends up: lane r after a chain; wherever the shuffles put it when no chain is needed.
        var rowLane = new int[Lanes];
        for (int lane = 0; lane < Lanes; lane++) rowLane[_odd == 1 ? layout[0][lane] : lane] = lane;
        var rowOfLane = new int[Lanes];
        for (int row = 0; row < Lanes; row++) rowOfLane[rowLane[row]] = row;
        RowOrder = Vector512.Create(rowLane);
        LaneOrder = Vector512.Create(rowOfLane);

        int chains = Math.Max(1, _odd * (_odd - 1));
        var table = (Vector512<int>*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((chains + 2 * classes) * 64), 64);
        Chains = table;
        _broadcast = table + chains;
        _classOf = _broadcast + classes;
        var (vectorOf, laneOf) = Locate(layout);
        var indices = new int[Lanes];
        for (int j = 0; j < _odd; j++)
            for (int t = 1; t < _odd; t++)
            {
                for (int r = 0; r < Lanes; r++)
                {
                    int element = r * _odd + j, source = vectorOf[element], lane = laneOf[element];
                    // The first permute reads vectors 0 and 1; each later one keeps the lanes filled so far
                    // (index r of its first operand, the chain) and takes vector t's lanes (indices 16 and up).
                    indices[r] = t == 1 ? (source <= 1 ? Lanes * source + lane : 0) : (source == t ? Lanes + lane : r);
                }
                Chains[j * (_odd - 1) + t - 1] = Vector512.Create(indices);
            }
        for (int v = 0; v < classes; v++)
        {
            for (int p = 0; p < Lanes; p++) indices[p] = rowLane[(Lanes * v + p) / classes];
            _broadcast[v] = Vector512.Create(indices);
            for (int p = 0; p < Lanes; p++) indices[p] = (Lanes * v + p) % classes;
            _classOf[v] = Vector512.Create(indices);
        }
    }

    /// <summary>The plan for rows of <paramref name="classes"/> values (2 … 16), built once and kept.</summary>
    public static BlockPlan For(int classes) => s_plans[classes] ??= new BlockPlan(classes);

    /// <summary>
    /// Σ over each row of the block in <paramref name="values"/> (<see cref="Classes"/> vectors, left as they are;
    /// <paramref name="work"/> holds the halved ones). The result's lane order is the plan's: use it through <see cref="Broadcast"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Sum(Vector512<float>* values, Vector512<float>* work) => Reduce<Add>(values, work);

    /// <summary>The maximum of each row, as <see cref="Sum"/> (vmaxps: a NaN may or may not survive it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Max(Vector512<float>* values, Vector512<float>* work) => Reduce<Maximum>(values, work);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Reduce<TCombine>(Vector512<float>* values, Vector512<float>* work)
        where TCombine : struct, ICombine
    {
        var source = values;
        int count = Classes;
        for (int h = 0; h < _halvings; h++)
        {
            count /= 2;
            for (int i = 0; i < count; i++)
                work[i] = _inLane ? Pairs<TCombine>(source[2 * i], source[2 * i + 1]) : PairsInOrder<TCombine>(source[2 * i], source[2 * i + 1]);
            source = work;
        }
        if (_odd == 1) return source[0];
        Vector512<float> result = default;
        var chain = Chains;
        for (int j = 0; j < _odd; j++)
        {
            var lane = Avx512F.PermuteVar16x32x2(source[0], chain[0], source[1]);
            for (int t = 2; t < _odd; t++)
                lane = Avx512F.PermuteVar16x32x2(lane, chain[t - 1], source[t]);
            result = j == 0 ? lane : TCombine.Combine(result, lane);
            chain += _odd - 1;
        }
        return result;
    }

    /// <summary>How <see cref="Reduce{TCombine}"/> joins two values of a row.</summary>
    public interface ICombine
    {
        static abstract Vector512<float> Combine(Vector512<float> a, Vector512<float> b);
    }

    public readonly struct Add : ICombine
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
    }

    public readonly struct Maximum : ICombine
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Avx512F.Max(a, b);
    }

    /// <summary>Permute indices that put a per-row vector from the plan's lane order into row order (lane r: row r).</summary>
    public Vector512<int> RowOrder { get; }

    /// <summary>Permute indices that put a per-row vector in row order back into the plan's lane order.</summary>
    public Vector512<int> LaneOrder { get; }

    /// <summary>The class (position in its row) of each element of vector <paramref name="vector"/> of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<int> ClassOf(int vector) => _classOf[vector];

    /// <summary>Per-row values (as <see cref="Sum"/> lays them out) spread over vector <paramref name="vector"/> of the block: each element gets its row's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Broadcast(Vector512<float> perRow, int vector) => Avx512F.PermuteVar16x32(perRow, _broadcast[vector]);

    /// <summary>
    /// Adjacent pairs of a and b joined, within each 128-bit lane: [a0∘a1, a2∘a3, b0∘b1, b2∘b3]. In-lane shuffles
    /// leave the multiply-add unit free for the exponentials, unlike two-source permutes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pairs<TCombine>(Vector512<float> a, Vector512<float> b)
        where TCombine : struct, ICombine =>
        TCombine.Combine(Avx512F.Shuffle(a, b, 0b10_00_10_00), Avx512F.Shuffle(a, b, 0b11_01_11_01));

    /// <summary>Adjacent pairs of the 32 values a, b joined, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairsInOrder<TCombine>(Vector512<float> a, Vector512<float> b)
        where TCombine : struct, ICombine
    {
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        return TCombine.Combine(Avx512F.PermuteVar16x32x2(a, evens, b), Avx512F.PermuteVar16x32x2(a, evens + Vector512<int>.One, b));
    }

    // ---- following the elements through the halvings ---------------------------------------------------------

    /// <summary>layout[v][lane]: which element (row-major over the block) vector v holds in that lane, before any halving.</summary>
    private static int[][] MemoryOrder(int classes)
    {
        var layout = new int[classes][];
        for (int v = 0; v < classes; v++) layout[v] = Enumerable.Range(Lanes * v, Lanes).ToArray();
        return layout;
    }

    /// <summary>Whether every in-lane halving adds two elements of one pair (2k, 2k + 1): true for all lengths but 8 and 16.</summary>
    private static bool PairsStayInLane(int classes)
    {
        var layout = MemoryOrder(classes);
        for (int length = classes; length % 2 == 0; length /= 2)
        {
            foreach (var vector in layout)
                for (int lane = 0; lane < Lanes; lane += 2)
                    if (vector[lane] % 2 != 0 || vector[lane + 1] != vector[lane] + 1) return false;
            layout = HalveInLane(layout);
        }
        return true;
    }

    /// <summary>The layout after <see cref="Pairs{TCombine}"/>: output lane 4q + t adds lanes 4q + 2(t mod 2) and the next of a (t &lt; 2) or b.</summary>
    private static int[][] HalveInLane(int[][] layout) => Halve(layout, lane => (lane % 4 / 2, 4 * (lane / 4) + 2 * (lane % 2)));

    /// <summary>The layout after <see cref="PairsInOrder{TCombine}"/>: output lane m adds elements 2m and 2m + 1 of the pair of vectors.</summary>
    private static int[][] HalveInOrder(int[][] layout) => Halve(layout, lane => (lane / 8, 2 * (lane % 8)));

    /// <summary>Pairs of vectors halved: <paramref name="first"/> says which of the two (0 or 1) and which lane holds the first of an output lane's pair.</summary>
    private static int[][] Halve(int[][] layout, Func<int, (int Vector, int Lane)> first)
    {
        var halved = new int[layout.Length / 2][];
        for (int i = 0; i < halved.Length; i++)
        {
            halved[i] = new int[Lanes];
            for (int lane = 0; lane < Lanes; lane++)
            {
                var (vector, from) = first(lane);
                halved[i][lane] = layout[2 * i + vector][from] / 2;
            }
        }
        return halved;
    }

    private static (int[] Vector, int[] Lane) Locate(int[][] layout)
    {
        int count = layout.Length * Lanes;
        var vectorOf = new int[count];
        var laneOf = new int[count];
        for (int v = 0; v < layout.Length; v++)
            for (int lane = 0; lane < Lanes; lane++)
                (vectorOf[layout[v][lane]], laneOf[layout[v][lane]]) = (v, lane);
        return (vectorOf, laneOf);
    }
}
