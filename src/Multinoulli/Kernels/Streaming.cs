namespace Multinoulli.Kernels;

/// <summary>
/// When a batch's output is written with streaming (non-temporal) stores and its rows pipelined: decided once for
/// the whole batch by its caller, since each thread only sees its own block of rows.
/// </summary>
internal static class Streaming
{
    /// <summary>Output at least this large could not stay in the caches anyway.</summary>
    private const long MinimumBytes = 16L << 20;

    /// <summary>Rows this short finish too soon for the pipeline to pay.</summary>
    public const int MinimumRowLength = 1024;

    /// <summary>The longest row the scratch buffers hold; the kernels stream nothing longer, whatever they are asked.</summary>
    public const int MaximumRowLength = 1 << 16;

    public static bool Worth(long rows, int classes, int elementSize) => rows * classes * elementSize >= MinimumBytes;
}
