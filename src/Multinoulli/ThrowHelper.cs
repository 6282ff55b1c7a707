using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Multinoulli;

/// <summary>Every argument error of the library, each naming the parameter and the value that was refused.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void EmptyInput(string paramName) =>
        throw new ArgumentException("The input is empty: a distribution needs at least one class.", paramName);

    [DoesNotReturn]
    public static void DestinationTooShort(string paramName, int required, int actual) =>
        throw new ArgumentException(Invariant($"The destination holds {actual} elements but {required} are needed."), paramName);

    [DoesNotReturn]
    public static void LengthMismatch(string paramName, int expected, int actual, string what) =>
        throw new ArgumentException(Invariant($"{what}: expected {expected} elements, got {actual}."), paramName);

    [DoesNotReturn]
    public static void ClassesOutOfRange(int classes) =>
        throw new ArgumentOutOfRangeException("classes", classes, "The number of classes must be at least 1.");

    [DoesNotReturn]
    public static void NotAMultipleOfClasses(string paramName, int length, int classes) =>
        throw new ArgumentException(Invariant($"The length {length} is not a whole number of rows of {classes} classes."), paramName);

    [DoesNotReturn]
    public static void Overlap(string paramName, string other) =>
        throw new ArgumentException(Invariant($"'{paramName}' overlaps '{other}' without starting at the same element; only an exact in-place call is allowed."), paramName);

    [DoesNotReturn]
    public static void LabelOutOfRange(int row, int label, int classes) =>
        throw new ArgumentOutOfRangeException("labels", label, Invariant($"Row {row} has label {label}, outside [0, {classes})."));

    [DoesNotReturn]
    public static void InvalidTarget(int row, int column, double value) =>
        throw new ArgumentException(Invariant($"Row {row}, class {column} has target {value}; targets must be finite and non-negative."), "targets");

    [DoesNotReturn]
    public static void NotANumber(string paramName, int index) =>
        throw new ArgumentException(Invariant($"Element {index} is NaN; a distribution needs every logit to be a number (−∞ for an impossible class)."), paramName);

    [DoesNotReturn]
    public static void InvalidProbability(string paramName, int index, double value) =>
        throw new ArgumentException(Invariant($"Element {index} is {value}; probabilities must be finite and non-negative."), paramName);

    [DoesNotReturn]
    public static void NoPositiveProbability(string paramName) =>
        throw new ArgumentException("Every class has probability 0 (all logits −∞ or all weights 0): there is nothing to draw.", paramName);

    [DoesNotReturn]
    public static void NotNormalized(string paramName, double sum, double tolerance) =>
        throw new ArgumentException(Invariant($"The probabilities sum to {sum:R}, not 1 within {tolerance}; pass normalize: true to rescale them."), paramName);

    [DoesNotReturn]
    public static void ClassOutOfRange(string paramName, int value, int classes) =>
        throw new ArgumentOutOfRangeException(paramName, value, Invariant($"The class must lie in [0, {classes})."));

    [DoesNotReturn]
    public static void InvalidParameter(string paramName, int index, float value, string reason) =>
        throw new ArgumentException(Invariant($"Element {index} is {value}: it {reason}."), paramName);

    [DoesNotReturn]
    public static void OutOfRange<TValue>(string paramName, TValue value, string requirement) =>
        throw new ArgumentOutOfRangeException(paramName, value, requirement);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
