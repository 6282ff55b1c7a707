using System.Globalization;

namespace Multinoulli.Decoding;

internal sealed class TemperatureStep : SamplingStep
{
    private readonly double _temperature;

    public TemperatureStep(double temperature)
    {
        if (!(temperature >= 0 && double.IsFinite(temperature)))
            ThrowHelper.OutOfRange(nameof(temperature), temperature, "The temperature must be finite and at least 0 (0 is greedy).");
        _temperature = temperature;
    }

    internal override void Apply(ref Candidates candidates)
    {
        double scale = candidates.Scale / _temperature;
        if (double.IsFinite(scale))
        {
            candidates.Scale = scale;
            return;
        }
        // Temperature 0, or so close that the scale overflows: the limit is the arg max, ties sharing equally.
        candidates.Filter(new AtLeast(candidates.Max));
        candidates.Scale = 1;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"temperature {_temperature}");

    private readonly struct AtLeast(float threshold) : ILogitPredicate
    {
        public bool Keeps(float logit) => logit >= threshold;
    }
}
