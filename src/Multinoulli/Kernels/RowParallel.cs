namespace Multinoulli.Kernels;

/// <summary>Splits a batch of rows over threads when the batch is large enough to repay the hand-off.</summary>
internal static class RowParallel
{
    // About 20 µs of kernel work: below this a thread hand-off costs more than it saves.
    private const long MinimumElementsPerTask = 1 << 16;

    /// <summary>A row at least this long is worth splitting over threads when there are fewer rows than threads.</summary>
    public const int LongRow = 1 << 17;

    /// <summary>Validates a MaxDegreeOfParallelism option: −1 (every core) or a positive count.</summary>
    public static int CheckedDegree(int value, string paramName)
    {
        if (value == 0 || value < -1)
            ThrowHelper.OutOfRange(paramName, value, "Use −1 for every core, or a positive thread count.");
        return value;
    }

    /// <summary>The thread count that a MaxDegreeOfParallelism option (−1: every core) stands for.</summary>
    public static int Degree(int maxDegreeOfParallelism) =>
        maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;

    /// <summary>Calls <paramref name="body"/>(firstRow, rowCount) over disjoint ranges that cover every row.</summary>
    public static void For(int rows, int classes, int maxDegreeOfParallelism, Action<int, int> body)
    {
        int degree = Degree(maxDegreeOfParallelism);
        long elements = (long)rows * classes;
        int tasks = (int)Math.Min(Math.Min(degree * 4L, rows), Math.Max(1, elements / MinimumElementsPerTask));
        if (degree <= 1 || tasks <= 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = degree }, task =>
        {
            int first = (int)((long)rows * task / tasks);
            int last = (int)((long)rows * (task + 1) / tasks);
            body(first, last - first);
        });
    }
}
