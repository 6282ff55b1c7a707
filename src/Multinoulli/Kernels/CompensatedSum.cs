namespace Multinoulli.Kernels;

/// <summary>Neumaier's compensated sum: a hundred thousand double terms add up to within a few ulp, not n ulp.</summary>
internal struct CompensatedSum
{
    private double _sum;
    private double _compensation;

    public void Add(double value)
    {
        double total = _sum + value;
        _compensation += Math.Abs(_sum) >= Math.Abs(value) ? (_sum - total) + value : (value - total) + _sum;
        _sum = total;
    }

    // An infinite total makes the compensation NaN (∞ − ∞); the total is then the answer.
    public readonly double Value => double.IsFinite(_sum) ? _sum + _compensation : _sum;
}
