using CsCheck;

namespace Multinoulli.Tests;

public class SigmoidTests
{
    [Fact]
    public void Sigmoid_is_two_class_softmax_against_a_reference_logit_of_zero()
    {
        Gen.Double[-700, 700].Sample(x =>
        {
            var p = new double[2];
            Softmax.Probabilities([x, 0], p);
            Assert.True(Math.Abs(Sigmoid.Probability(x) - p[0]) <= 1e-14 * p[0] + 1e-300, $"x={x}");
            var y = new double[2];
            Softmax.LogProbabilities([x, 0], y);
            Assert.True(Math.Abs(Sigmoid.LogProbability(x) - y[0]) <= 1e-13 * Math.Max(1, Math.Abs(y[0])), $"x={x}");
        }, iter: 2000);
    }

    [Fact]
    public void The_family_is_finite_and_correct_at_the_extremes()
    {
        Assert.Equal(0, Sigmoid.Probability(-1e308));
        Assert.Equal(1, Sigmoid.Probability(1e308));
        Assert.Equal(-1000, Sigmoid.LogProbability(-1000.0));
        Assert.True(Math.Abs(Sigmoid.LogProbability(50.0) / -Math.Exp(-50) - 1) < 1e-14, "log σ(50) keeps its relative accuracy");
        Assert.True(Math.Abs(Sigmoid.Softplus(-40.0) / Math.Exp(-40) - 1) < 1e-14, "softplus(−40) keeps its relative accuracy");
        Assert.Equal(3.4e38f, Sigmoid.Softplus(3.4e38f));
        Assert.Equal(float.NegativeInfinity, Sigmoid.LogProbability(float.NegativeInfinity));
        Assert.True(double.IsNaN(Sigmoid.Probability(double.NaN)));
        var d = new float[3];
        Sigmoid.Probabilities([0f, -100f, 100f], d);
        Assert.Equal([0.5f, MathF.Exp(-100), 1f], d);
    }
}
