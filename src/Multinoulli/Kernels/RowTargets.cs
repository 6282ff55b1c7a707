using System.Numerics;

namespace Multinoulli.Kernels;

/// <summary>
/// The target distribution t′ of one row, after label smoothing: t′ⱼ = (1 − ε)·tⱼ + ε·uⱼ, where t is the one-hot
/// label or the caller's soft target and u is uniform over every class (or, when masked, over the classes whose
/// logit is not −∞). Element-wise and scalar: used for rows whose limits are written out (+∞ or all −∞ logits);
/// the finite rows' sums are vectorised (<see cref="RowKernels{TSimd, TVector, T}"/>' target sums).
/// </summary>
internal readonly unsafe struct RowTargets<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T* _soft;
    private readonly int _label;
    private readonly T* _weights;
    private readonly bool _masked;

    public RowTargets(int label, T* soft, T* weights, double smoothing, bool masked)
    {
        _soft = soft;
        _label = label;
        _weights = weights;
        _masked = masked;
        Smoothing = smoothing;
    }

    public double Smoothing { get; }

    /// <summary>The integer label, or −1 with soft targets.</summary>
    public int Label => _label;

    public double Weight(int j) => _weights == null ? 1 : double.CreateTruncating(_weights[j]);

    /// <summary>ε divided by the number of classes the uniform part covers (<paramref name="support"/>), 0 when it covers none.</summary>
    public double Uniform(double support) => support == 0 ? 0 : Smoothing / support;

    private double Target(int j, T logit, double uniform)
    {
        double own = _soft != null
            ? (1 - Smoothing) * double.CreateTruncating(_soft[j])
            : j == _label ? 1 - Smoothing : 0;
        return own + (_masked && T.IsNegativeInfinity(logit) ? 0 : uniform);
    }

    /// <summary>
    /// A row holding +∞ logits or nothing but −∞: the limit probabilities are written out explicitly (the +∞
    /// classes share 1 equally), then the same loss and gradient formulas apply. Returns the row's loss.
    /// </summary>
    public double SpecialRow(RowKind kind, T* logits, int classes, T* gradient, double scale)
    {
        if (kind == RowKind.AllMasked && _masked)
        {
            if (gradient != null) SpecialRows<T>.Fill(gradient, classes, T.Zero);
            return 0;
        }
        int infinities = kind == RowKind.PositiveInfinity ? SpecialRows<T>.CountPositiveInfinities(logits, classes) : -1;
        if (infinities <= 0)
        {
            if (gradient != null) SpecialRows<T>.Fill(gradient, classes, T.NaN);
            return double.NaN;
        }
        int support = classes;
        if (_masked && Smoothing > 0)
        {
            support = 0;
            for (int j = 0; j < classes; j++)
                if (!T.IsNegativeInfinity(logits[j])) support++;
        }
        double uniform = Uniform(support);
        double share = 1.0 / infinities;
        double weight = 0, loss = 0;
        for (int j = 0; j < classes; j++)
        {
            double t = Target(j, logits[j], uniform) * Weight(j);
            if (t > 0)
            {
                weight += t;
                loss += t * (T.IsPositiveInfinity(logits[j]) ? Math.Log(infinities) : double.PositiveInfinity);
            }
        }
        if (gradient != null)
            for (int j = 0; j < classes; j++)
            {
                double p = T.IsPositiveInfinity(logits[j]) ? share : 0;
                double g = scale * (p * weight - Target(j, logits[j], uniform) * Weight(j));
                gradient[j] = T.CreateTruncating(g);
            }
        return loss;
    }
}
