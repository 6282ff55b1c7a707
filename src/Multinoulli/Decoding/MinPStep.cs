using System.Globalization;

namespace Multinoulli.Decoding;

internal sealed class MinPStep : SamplingStep
{
    private readonly double _minP;

    public MinPStep(double minP)
    {
        if (!(minP >= 0 && minP <= 1)) ThrowHelper.OutOfRange(nameof(minP), minP, "min-p must lie in [0, 1].");
        _minP = minP;
    }

    internal override void Apply(ref Candidates candidates)
    {
        if (_minP == 0) return;
        // p_i ≥ minP · p_max  ⇔  Scale · (z_i − z_max) ≥ log minP: no exponential needed.
        candidates.Filter(new RelativeToMax(candidates.Max, candidates.Scale, Math.Log(_minP)));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"min-p {_minP}");

    private readonly struct RelativeToMax(float max, double scale, double logMinP) : ILogitPredicate
    {
        public bool Keeps(float logit) => scale * ((double)logit - max) >= logMinP;
    }
}
