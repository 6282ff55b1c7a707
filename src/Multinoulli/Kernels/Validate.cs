using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Multinoulli.Kernels;

/// <summary>The argument checks every entry point shares, done before anything is written.</summary>
internal static class Validate
{
    /// <summary>Checks a row-major [rows × classes] matrix and returns its row count.</summary>
    public static int Rows<T>(ReadOnlySpan<T> logits, int classes, string paramName = "logits")
    {
        if (classes < 1) ThrowHelper.ClassesOutOfRange(classes);
        if (logits.IsEmpty) ThrowHelper.EmptyInput(paramName);
        if (logits.Length % classes != 0) ThrowHelper.NotAMultipleOfClasses(paramName, logits.Length, classes);
        return logits.Length / classes;
    }

    public static void Destination<T>(int required, Span<T> destination, string paramName = "destination")
    {
        if (destination.Length < required) ThrowHelper.DestinationTooShort(paramName, required, destination.Length);
    }

    /// <summary>The output may be the input itself, element for element; any other overlap would read what was just written.</summary>
    public static void InPlaceOrDisjoint<T>(ReadOnlySpan<T> input, Span<T> output, string outputName, string inputName)
    {
        if (input.Overlaps(output, out int offset) && offset != 0) ThrowHelper.Overlap(outputName, inputName);
    }

    public static void Disjoint<T>(ReadOnlySpan<T> input, Span<T> output, string outputName, string inputName)
    {
        if (input.Overlaps(output)) ThrowHelper.Overlap(outputName, inputName);
    }

    /// <summary>
    /// Checks that every soft target is finite and non-negative, a vector at a time (a scalar loop cost a
    /// 4M-class row more than the loss itself); the first that is not is named with its row and class. This
    /// pass reads every target from memory before the kernel reads them again, so it asks for them 4 KiB ahead
    /// into L2: left to the hardware it ran at a third of a copy's speed and cost soft targets as much as their
    /// loss.
    /// </summary>
    public static unsafe void Targets<T>(ReadOnlySpan<T> targets, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            int width = Vector512<T>.Count;
            var zero = Vector512<T>.Zero;
            var infinity = Vector512.Create(T.PositiveInfinity);
            fixed (T* t = targets)
            {
                // NaN fails both comparisons.
                for (; i <= targets.Length - 4 * width; i += 4 * width)
                {
                    if (Sse.IsSupported) Sse.Prefetch1(t + i + 4096 / sizeof(T));
                    var v0 = Vector512.Load(t + i);
                    var v1 = Vector512.Load(t + i + width);
                    var v2 = Vector512.Load(t + i + 2 * width);
                    var v3 = Vector512.Load(t + i + 3 * width);
                    var valid = Vector512.GreaterThanOrEqual(v0, zero) & Vector512.LessThan(v0, infinity)
                        & Vector512.GreaterThanOrEqual(v1, zero) & Vector512.LessThan(v1, infinity)
                        & Vector512.GreaterThanOrEqual(v2, zero) & Vector512.LessThan(v2, infinity)
                        & Vector512.GreaterThanOrEqual(v3, zero) & Vector512.LessThan(v3, infinity);
                    if (valid.ExtractMostSignificantBits() != (1ul << width) - 1) break;
                }
            }
        }
        else if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var zero = Vector<T>.Zero;
            var infinity = new Vector<T>(T.PositiveInfinity);
            for (; i <= targets.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var value = new Vector<T>(targets[i..]);
                if (!(Vector.GreaterThanOrEqualAll(value, zero) && Vector.LessThanAll(value, infinity))) break;
            }
        }
        for (; i < targets.Length; i++)
            if (!(targets[i] >= T.Zero && T.IsFinite(targets[i])))
                ThrowHelper.InvalidTarget(i / classes, i % classes, double.CreateTruncating(targets[i]));
    }
}
