using CsCheck;
using Multinoulli.Kernels;

namespace Multinoulli.Tests;

/// <summary>The distribution's quantities against float64 references, and the edges where Math.NET's Categorical fails.</summary>
public class CategoricalTests
{
    private static double Relative(double actual, double expected) =>
        actual == expected ? 0 : Math.Abs(actual - expected) / Math.Max(1, Math.Abs(expected));

    /// <summary>Entropy, cross-entropy and KL computed the plain way from the reference probabilities.</summary>
    private static (double Entropy, double CrossEntropy, double KullbackLeibler) Expected(double[] p, double[] logP, double[] logQ)
    {
        CompensatedSum entropy = default, crossEntropy = default;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0) continue;
            entropy.Add(-p[i] * logP[i]);
            crossEntropy.Add(-p[i] * logQ[i]);
        }
        return (entropy.Value, crossEntropy.Value, crossEntropy.Value - entropy.Value);
    }

    [Fact]
    public void Entropy_cross_entropy_and_KL_match_a_float64_reference()
    {
        var pairs =
            from a in Generators.Row(300)
            from noise in Gen.Double[-3, 3].Array[a.Length]
            select (a, noise);
        pairs.Sample(t =>
        {
            // q is a perturbed p that gives every class some chance, so KL stays finite.
            double[] zq = t.a.Select((v, i) => (double.IsNegativeInfinity(v) ? 0 : v) + t.noise[i]).ToArray();
            var p = Categorical.FromLogits(t.a);
            var q = Categorical.FromLogits(zq);
            var (logP, probabilities, _) = Reference.Softmax(t.a);
            var (logQ, _, _) = Reference.Softmax(zq);
            var expected = Expected(probabilities, logP, logQ);
            return Relative(p.Entropy, expected.Entropy) < 1e-12
                && Relative(Categorical.CrossEntropy(p, q), expected.CrossEntropy) < 1e-12
                && Math.Abs(Categorical.KullbackLeibler(p, q) - Math.Max(0, expected.KullbackLeibler)) < 1e-12 * Math.Max(1, expected.CrossEntropy)
                && p.Entropy >= 0 && p.Entropy <= Math.Log(t.a.Length) + 1e-12;
        }, iter: 300);
    }

    [Fact]
    public void Hundred_thousand_classes_keep_entropy_and_KL_to_twelve_digits()
    {
        var random = new Random(11);
        var z = Enumerable.Range(0, 100_000).Select(_ => random.NextDouble() * 20 - 10).ToArray();
        var w = z.Select(v => v + random.NextDouble()).ToArray();
        var (logP, p, _) = Reference.Softmax(z);
        var (logQ, _, _) = Reference.Softmax(w);
        var expected = Expected(p, logP, logQ);
        var pd = Categorical.FromLogits(z);
        var qd = Categorical.FromLogits(w);
        Assert.True(Relative(pd.Entropy, expected.Entropy) < 1e-12, $"entropy {pd.Entropy} vs {expected.Entropy}");
        Assert.True(Relative(Categorical.KullbackLeibler(pd, qd), expected.KullbackLeibler) < 1e-10, "KL");
        Assert.True(Relative(Categorical.CrossEntropy(pd, qd), expected.CrossEntropy) < 1e-12, "cross-entropy");
    }

    [Fact]
    public void A_zero_probability_class_has_log_probability_minus_infinity_and_adds_nothing_to_the_entropy()
    {
        // Math.NET's Categorical gives NaN entropy and log-probability 0 here.
        var d = Categorical.FromProbabilities([0.5, 0, 0.5]);
        Assert.Equal(Math.Log(2), d.Entropy, 15);
        Assert.Equal(double.NegativeInfinity, d.LogProbability(1));
        Assert.Equal(0, d.Probability(1));
        var fromLogits = Categorical.FromLogits([0.0, double.NegativeInfinity, 0.0]);
        Assert.Equal(Math.Log(2), fromLogits.Entropy, 15);
        Assert.Equal(double.NegativeInfinity, fromLogits.LogProbability(1));
        Assert.Equal(0, Categorical.KullbackLeibler(d, fromLogits), 15);
        // q gives class 1 nothing while p gives it mass: infinite divergence and cross-entropy.
        var p = Categorical.FromProbabilities([0.25, 0.5, 0.25]);
        Assert.Equal(double.PositiveInfinity, Categorical.KullbackLeibler(p, d));
        Assert.Equal(double.PositiveInfinity, Categorical.CrossEntropy(p, d));
        Assert.True(double.IsFinite(Categorical.KullbackLeibler(d, p)));
    }

    [Fact]
    public void Mode_breaks_ties_toward_the_lowest_index_and_one_class_is_certain()
    {
        Assert.Equal(1, Categorical.FromLogits([0.0, 2, 1, 2]).Mode);
        Assert.Equal(0, Categorical.FromProbabilities([0.5, 0.5]).Mode);
        var certain = Categorical.FromLogits([float.MaxValue]);
        Assert.Equal(0, certain.Mode);
        Assert.Equal(0, certain.Entropy);
        Assert.Equal(1, certain.Probability(0));
        Assert.Equal(0, certain.Sample(new Random(1)));
        Assert.Equal(0, certain.Variance[0]);
    }

    [Fact]
    public void Mean_is_the_probability_vector_and_variance_is_p_times_one_minus_p()
    {
        Gen.Double[-20, 20].Array[1, 50].Sample(z =>
        {
            var d = Categorical.FromLogits(z);
            for (int i = 0; i < z.Length; i++)
                if (d.Mean[i] != d.Probability(i) || Math.Abs(d.Variance[i] - d.Probability(i) * (1 - d.Probability(i))) > 1e-16) return false;
            return Math.Abs(d.Probabilities.ToArray().Sum() - 1) < 1e-13;
        }, iter: 200);
    }

    [Fact]
    public void Temperature_divides_the_logits_and_smooth_max_lies_between_mean_and_max()
    {
        Gen.Select(Gen.Double[-50, 50].Array[1, 40], Gen.Double[0.05, 20]).Sample((z, t) =>
        {
            var hot = Categorical.FromLogits(z, t);
            var divided = Categorical.FromLogits(z.Select(v => v / t).ToArray());
            for (int i = 0; i < z.Length; i++)
                if (Math.Abs(hot.LogProbability(i) - divided.LogProbability(i)) > 1e-12 * Math.Max(1, Math.Abs(divided.LogProbability(i)))) return false;
            double smooth = hot.SmoothMax;
            return smooth <= z.Max() + 1e-12 * Math.Abs(z.Max()) + 1e-12 && smooth >= z.Average() - 1e-9 * (1 + z.Select(Math.Abs).Max())
                && Math.Abs(Categorical.FromLogits(z).SmoothMax - Softmax.SmoothMax(z)) <= 1e-12 * (1 + z.Select(Math.Abs).Max());
        }, iter: 200);
    }

    [Fact]
    public void Probabilities_are_validated_and_normalised_on_request()
    {
        var error = Assert.Throws<ArgumentException>(() => Categorical.FromProbabilities([0.5, 0.6]));
        Assert.Equal("probabilities", error.ParamName);
        Assert.Contains("1.1", error.Message);
        Assert.Equal(0.5 / 1.1, Categorical.FromProbabilities([0.5, 0.6], normalize: true).Probability(0), 15);
        Assert.Contains("-0.25", Assert.Throws<ArgumentException>(() => Categorical.FromProbabilities([1.25, -0.25])).Message);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Categorical.FromProbabilities([double.NaN, 1])).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => Categorical.FromProbabilities([0.0, 0], normalize: true)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Categorical.FromLogits([1, double.NaN])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Categorical.FromLogits([double.NegativeInfinity])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Categorical.FromLogits(ReadOnlySpan<double>.Empty)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Categorical.FromLogits([1.0], -1)).ParamName);
        var d = Categorical.FromLogits([1.0, 2]);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => d.LogProbability(2));
        Assert.Equal("k", outside.ParamName);
        Assert.Equal(2, outside.ActualValue);
        Assert.Equal("q", Assert.Throws<ArgumentException>(() => Categorical.KullbackLeibler(d, Categorical.FromLogits([1.0]))).ParamName);
        // Float probabilities that sum to 1 in float are accepted, and their temperature form is p^(1/T) renormalised.
        var warmed = Categorical.FromProbabilities([0.2f, 0.8f], temperature: 2);
        Assert.Equal(Math.Sqrt(0.2f) / (Math.Sqrt(0.2f) + Math.Sqrt(0.8f)), warmed.Probability(0), 12);
    }

    [Fact]
    public void Infinite_logits_take_all_the_mass_equally()
    {
        var d = Categorical.FromLogits([1.0, double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity]);
        Assert.Equal([0, 0.5, 0.5, 0], d.Probabilities.ToArray());
        Assert.Equal(Math.Log(2), d.Entropy, 15);
        Assert.Equal(1, d.Mode);
        Assert.Equal(double.PositiveInfinity, d.SmoothMax);
    }

    [Fact]
    public void Bernoulli_is_the_two_class_softmax_with_a_reference_class_at_zero()
    {
        double[] specials = [0, 1e-300, -1e-300, 40, -40, 800, -800, 1e308, -1e308, double.PositiveInfinity, double.NegativeInfinity];
        Gen.OneOf(Gen.Double[-60, 60], Gen.OneOf(specials)).Sample(z =>
        {
            var bernoulli = Bernoulli.FromLogit(z);
            var categorical = Categorical.FromLogits([0, z]);
            bool Close(double a, double b) => a == b || Math.Abs(a - b) <= 1e-14 * Math.Max(1, Math.Abs(b));
            return Close(bernoulli.Probability, categorical.Probability(1))
                && Close(bernoulli.LogProbability(1), categorical.LogProbability(1))
                && Close(bernoulli.LogProbability(0), categorical.LogProbability(0))
                && Close(bernoulli.Entropy, categorical.Entropy)
                && Close(bernoulli.Variance, categorical.Variance[1])
                && bernoulli.Mode == categorical.Mode
                && !double.IsNaN(bernoulli.Entropy);
        }, iter: 500);
        Assert.Equal(0.25, Bernoulli.FromProbability(0.25).Probability, 15);
        Assert.Equal(double.NegativeInfinity, Bernoulli.FromProbability(1).LogProbability(0));
        Assert.Equal("probability", Assert.Throws<ArgumentOutOfRangeException>(() => Bernoulli.FromProbability(1.5)).ParamName);
        Assert.Equal("logit", Assert.Throws<ArgumentException>(() => Bernoulli.FromLogit(double.NaN)).ParamName);
    }

    [Fact]
    public void Bernoulli_draws_fit()
    {
        var d = Bernoulli.FromLogit(-1.3);
        var random = new Random(12);
        var counts = new long[2];
        for (int i = 0; i < 200_000; i++) counts[d.Sample(random)]++;
        GoodnessOfFit.AssertFits(counts, [1 - d.Probability, d.Probability], "Bernoulli.Sample");
    }
}
