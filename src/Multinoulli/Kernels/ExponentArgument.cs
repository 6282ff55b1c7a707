using System.Numerics;
using System.Runtime.CompilerServices;
using Multinoulli.Kernels.Simd;

namespace Multinoulli.Kernels;

/// <summary>
/// How a logit z becomes the argument of the exponential, (z − shift)·scale, kept exact as hi + lo.
/// Two implementations so the common unit-temperature case pays for no multiplication.
/// </summary>
internal interface IExponentArgument<TSelf, TSimd, TVector, T>
    where TSelf : struct, IExponentArgument<TSelf, TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>An argument with shift = shiftHigh + shiftLow and the scale 1/temperature.</summary>
    static abstract TSelf Create(T shiftHigh, T shiftLow, double inverseTemperature);

    void Compute(TVector logits, out TVector hi, out TVector lo);
}

/// <summary>(z − shift) at unit temperature.</summary>
internal readonly struct ShiftArgument<TSimd, TVector, T> : IExponentArgument<ShiftArgument<TSimd, TVector, T>, TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TVector _shiftHigh;
    private readonly TVector _shiftLow;

    private ShiftArgument(TVector shiftHigh, TVector shiftLow)
    {
        _shiftHigh = shiftHigh;
        _shiftLow = shiftLow;
    }

    public static ShiftArgument<TSimd, TVector, T> Create(T shiftHigh, T shiftLow, double inverseTemperature) =>
        new(TSimd.Create(shiftHigh), TSimd.Create(shiftLow));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Compute(TVector logits, out TVector hi, out TVector lo)
    {
        VectorMath.TwoDifference<TSimd, TVector, T>(logits, _shiftHigh, out hi, out lo);
        lo = TSimd.Subtract(lo, _shiftLow);
    }
}

/// <summary>
/// (z − shift)/temperature, with 1/temperature itself carried as hi + lo so a float32 scale loses nothing. The
/// difference is taken between halves, z/2 − shift/2, and the 2 goes into the scale: halving is exact, so the
/// rounding is that of z − shift, but it cannot overflow where (z − shift)/T is representable (−3e38 − 2e38
/// at T = 3 is −1.7e38, not −∞).
/// </summary>
internal readonly struct ShiftScaleArgument<TSimd, TVector, T> : IExponentArgument<ShiftScaleArgument<TSimd, TVector, T>, TSimd, TVector, T>
    where TSimd : ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TVector _shiftHigh;
    private readonly TVector _shiftLow;
    private readonly TVector _scaleHigh;
    private readonly TVector _scaleLow;

    private ShiftScaleArgument(TVector shiftHigh, TVector shiftLow, double inverseTemperature)
    {
        var half = TSimd.Create(T.CreateTruncating(0.5));
        _shiftHigh = TSimd.Multiply(shiftHigh, half);
        _shiftLow = TSimd.Multiply(shiftLow, half);
        var (scaleHigh, scaleLow) = VectorMath.Split<T>(2 * inverseTemperature);
        _scaleHigh = TSimd.Create(scaleHigh);
        _scaleLow = TSimd.Create(scaleLow);
    }

    public static ShiftScaleArgument<TSimd, TVector, T> Create(T shiftHigh, T shiftLow, double inverseTemperature) =>
        new(TSimd.Create(shiftHigh), TSimd.Create(shiftLow), inverseTemperature);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Compute(TVector logits, out TVector hi, out TVector lo)
    {
        var halfLogits = TSimd.Multiply(logits, TSimd.Create(T.CreateTruncating(0.5)));
        VectorMath.TwoDifference<TSimd, TVector, T>(halfLogits, _shiftHigh, out var dHigh, out var dLow);
        dLow = TSimd.Subtract(dLow, _shiftLow);
        hi = TSimd.Multiply(dHigh, _scaleHigh);
        // (dHigh + dLow)(sHigh + sLow) − hi, dropping only dLow·sLow.
        var error = TSimd.MultiplyAdd(dHigh, _scaleHigh, TSimd.Subtract(TSimd.Create(T.Zero), hi));
        lo = TSimd.Add(error, TSimd.MultiplyAdd(dHigh, _scaleLow, TSimd.Multiply(dLow, _scaleHigh)));
    }
}
