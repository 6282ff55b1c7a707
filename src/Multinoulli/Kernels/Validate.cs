using System.Numerics;

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
    /// 4M-class row more than the loss itself); the first that is not is named with its row and class.
    /// </summary>
    public static void Targets<T>(ReadOnlySpan<T> targets, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var zero = Vector<T>.Zero;
            var infinity = new Vector<T>(T.PositiveInfinity);
            // NaN fails both comparisons.
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
