namespace Multinoulli.Tests;

/// <summary>Every sampler, drawn 200,000 times with a fixed seed, fits its exact distribution (chi-square, p > 1e-6).</summary>
public class SamplerTests
{
    private const int Draws = 200_000;

    // Ties, a class far in the tail (p ≈ 4e-5) and two impossible classes: each sampler must get all of them right.
    private static readonly double[] Logits = [1.5, 0.2, double.NegativeInfinity, 1.5, -1, 2.5, -8, 0, double.NegativeInfinity, 0.7, -3, 1];

    private static double[] Exact() => Categorical.FromLogits(Logits).Probabilities.ToArray();

    private static long[] Collect(Func<Random, int> draw, int seed = 1)
    {
        var random = new Random(seed);
        var counts = new long[Logits.Length];
        for (int i = 0; i < Draws; i++) counts[draw(random)]++;
        return counts;
    }

    [Fact]
    public void The_test_detects_a_known_p_value()
    {
        // Known quantiles of the chi-square distribution: P(χ²₁ > 3.841459) = 0.05, P(χ²₁₀ > 23.20925) = 0.01.
        Assert.Equal(0.05, GoodnessOfFit.UpperRegularizedGamma(0.5, 3.841459 / 2), 6);
        Assert.Equal(0.01, GoodnessOfFit.UpperRegularizedGamma(5, 23.20925 / 2), 6);
        Assert.Equal(Math.Log(24), GoodnessOfFit.LogGamma(5), 12);
    }

    [Fact]
    public void Categorical_inverse_cdf_fits()
    {
        var distribution = Categorical.FromLogits(Logits);
        GoodnessOfFit.AssertFits(Collect(distribution.Sample), Exact(), "Categorical.Sample (inverse CDF)");
    }

    [Fact]
    public void Span_inverse_cdf_fits()
    {
        var weights = Exact().Select(p => p * 7).ToArray();
        GoodnessOfFit.AssertFits(Collect(r => Sampling.InverseCdf(weights, r)), Exact(), "Sampling.InverseCdf (weights)");
        var single = Exact().Select(p => (float)p).ToArray();
        GoodnessOfFit.AssertFits(Collect(r => Sampling.InverseCdf(single, r)), Widen(single), "Sampling.InverseCdf (float)");
    }

    [Fact]
    public void Alias_table_fits_one_draw_at_a_time_and_in_bulk()
    {
        var table = new AliasTable(Exact());
        GoodnessOfFit.AssertFits(Collect(table.Sample), Exact(), "AliasTable.Sample");
        var draws = new int[Draws];
        Categorical.FromLogits(Logits).Sample(new Random(2), draws);
        GoodnessOfFit.AssertFits(GoodnessOfFit.Count(draws, Logits.Length), Exact(), "Categorical.Sample(span) (alias)");
    }

    [Fact]
    public void Gumbel_max_fits_for_float_and_double()
    {
        GoodnessOfFit.AssertFits(Collect(r => Sampling.GumbelMax(Logits, r)), Exact(), "Sampling.GumbelMax (double)");
        var single = Generators.ToSingle(Logits);
        GoodnessOfFit.AssertFits(Collect(r => Sampling.GumbelMax(single, r)), Exact(), "Sampling.GumbelMax (float)");
    }

    [Fact]
    public void Gumbel_max_is_exact_for_huge_tied_logits()
    {
        // Equal logits of 3e38 share the mass equally; adding noise to 3e38 without shifting would lose it to rounding.
        double[] huge = [3e38, 3e38, -3e38, 3e38];
        var exact = new[] { 1 / 3.0, 1 / 3.0, 0, 1 / 3.0 };
        var random = new Random(3);
        var counts = new long[4];
        for (int i = 0; i < 60_000; i++) counts[Sampling.GumbelMax(huge, random)]++;
        GoodnessOfFit.AssertFits(counts, exact, "GumbelMax at 3e38");
    }

    [Fact]
    public void Gumbel_softmax_arg_max_is_a_categorical_draw()
    {
        // arg max softmax((z + G) / τ) = arg max (z + G) at every τ: the relaxed sample's winner is an exact draw.
        var buffer = new double[Logits.Length];
        GoodnessOfFit.AssertFits(Collect(r =>
        {
            Sampling.GumbelSoftmax(Logits, 0.5, r, buffer);
            return Array.IndexOf(buffer, buffer.Max());
        }), Exact(), "GumbelSoftmax arg max");
    }

    [Fact]
    public void Gumbel_softmax_is_a_point_of_the_simplex_that_gives_impossible_classes_zero()
    {
        var single = Generators.ToSingle(Logits);
        var sample = new float[single.Length];
        var random = new Random(4);
        foreach (double temperature in new[] { 0.01, 0.5, 1, 10 })
        {
            Sampling.GumbelSoftmax(single, temperature, random, sample);
            Assert.Equal(1, sample.Sum(v => (double)v), 5);
            Assert.All(sample, v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(0f, sample[2]);
            Assert.Equal(0f, sample[8]);
        }
    }

    [Fact]
    public void Gumbel_top_k_draws_ordered_pairs_as_sequential_sampling_without_replacement()
    {
        double[] logits = [0.5, -0.3, 1.2, double.NegativeInfinity, 0];
        var p = Categorical.FromLogits(logits).Probabilities.ToArray();
        int n = logits.Length;
        // P(first = i, second = j) = p_i p_j / (1 − p_i).
        var exact = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j && p[i] > 0) exact[i * n + j] = p[i] * p[j] / (1 - p[i]);
        var counts = new long[n * n];
        var random = new Random(5);
        Span<int> pair = stackalloc int[2];
        for (int draw = 0; draw < Draws; draw++)
        {
            Sampling.GumbelTopK(logits, random, pair);
            counts[pair[0] * n + pair[1]]++;
        }
        GoodnessOfFit.AssertFits(counts, exact, "GumbelTopK ordered pairs");
    }

    [Fact]
    public void Gumbel_top_k_returns_distinct_possible_classes_and_puts_infinite_logits_first()
    {
        var random = new Random(6);
        float[] logits = [0, float.PositiveInfinity, -1, float.NegativeInfinity, float.PositiveInfinity, 3];
        var drawn = new int[4];
        for (int trial = 0; trial < 200; trial++)
        {
            Sampling.GumbelTopK(logits, random, drawn);
            Assert.Equal(4, drawn.Distinct().Count());
            Assert.Equal([1, 4], drawn[..2].Order());
            Assert.DoesNotContain(3, drawn);
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.GumbelTopK(logits, random, new int[6]));
        Assert.Equal("destination", error.ParamName);
    }

    [Fact]
    public void Batch_rows_fit_and_do_not_depend_on_the_thread_count()
    {
        int rows = Draws;
        var single = Generators.ToSingle(Logits);
        var batch = new float[rows * single.Length];
        for (int r = 0; r < rows; r++) single.CopyTo(batch, r * single.Length);
        var all = new int[rows];
        var one = new int[rows];
        Sampling.SampleRows(batch, single.Length, 42, all);
        Sampling.SampleRows(batch, single.Length, 42, one, new SoftmaxOptions { MaxDegreeOfParallelism = 1 });
        Assert.Equal(one, all);
        GoodnessOfFit.AssertFits(GoodnessOfFit.Count(all, single.Length), Exact(), "Sampling.SampleRows");
    }

    [Fact]
    public void Batch_rows_honour_the_temperature_and_name_a_bad_row()
    {
        var single = Generators.ToSingle(Logits);
        var batch = new float[20_000 * single.Length];
        for (int r = 0; r < 20_000; r++) single.CopyTo(batch, r * single.Length);
        var draws = new int[20_000];
        Sampling.SampleRows(batch, single.Length, 7, draws, new SoftmaxOptions { Temperature = 3 });
        GoodnessOfFit.AssertFits(GoodnessOfFit.Count(draws, single.Length), Categorical.FromLogits(Logits, 3).Probabilities, "SampleRows at T = 3");

        batch[5 * single.Length + 3] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => Sampling.SampleRows(batch, single.Length, 7, draws));
        Assert.Equal("logits", error.ParamName);
        Assert.Contains("Row 5", error.Message);
    }

    [Fact]
    public void Every_sampler_repeats_its_draws_for_a_seed()
    {
        var distribution = Categorical.FromLogits(Logits);
        Func<Random, int>[] samplers =
        [
            distribution.Sample, r => Sampling.GumbelMax(Logits, r), r => Sampling.InverseCdf(Exact(), r), distribution.AliasTable.Sample,
            r => new DecodingSampler(SamplingStep.TopK(5)).Sample(Generators.ToSingle(Logits), r),
        ];
        foreach (var sampler in samplers)
        {
            Assert.Equal(Draw(sampler, 9), Draw(sampler, 9));
            Assert.NotEqual(Draw(sampler, 9), Draw(sampler, 10));
        }

        static int[] Draw(Func<Random, int> sampler, int seed)
        {
            var random = new Random(seed);
            return Enumerable.Range(0, 50).Select(_ => sampler(random)).ToArray();
        }
    }

    [Fact]
    public void A_biased_sampler_fails_the_same_test()
    {
        // The power of the test: three plausible bugs, each caught with the same draw count and threshold.
        var exact = Exact();
        var tilted = (double[])exact.Clone();
        tilted[0] *= 1.1;
        var tiltedTable = new AliasTable(tilted);
        Assert.True(GoodnessOfFit.PValue(Collect(tiltedTable.Sample), exact) < GoodnessOfFit.Threshold, "one class 10% too likely");

        // Uniform instead of Gumbel noise: arg max z + U is not a softmax draw.
        Assert.True(GoodnessOfFit.PValue(Collect(r => ArgMax(Logits, _ => r.NextDouble())), exact) < GoodnessOfFit.Threshold, "uniform noise");

        // Exponential instead of Gumbel noise.
        Assert.True(GoodnessOfFit.PValue(Collect(r => ArgMax(Logits, _ => -Math.Log(1 - r.NextDouble()))), exact) < GoodnessOfFit.Threshold, "exponential noise");

        static int ArgMax(double[] logits, Func<int, double> noise)
        {
            int best = 0;
            double bestKey = double.NegativeInfinity;
            for (int i = 0; i < logits.Length; i++)
            {
                double key = logits[i] + noise(i);
                if (key > bestKey) (best, bestKey) = (i, key);
            }
            return best;
        }
    }

    [Fact]
    public void Samplers_refuse_bad_input_naming_the_argument()
    {
        var random = new Random(1);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Sampling.GumbelMax([0.0, double.NaN], random)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Sampling.GumbelMax([float.NegativeInfinity], random)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Sampling.GumbelMax(ReadOnlySpan<float>.Empty, random)).ParamName);
        var negative = Assert.Throws<ArgumentException>(() => Sampling.InverseCdf([0.5, -0.1], random));
        Assert.Equal("probabilities", negative.ParamName);
        Assert.Contains("-0.1", negative.Message);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new AliasTable([0.0, double.PositiveInfinity])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new AliasTable([0.0, 0.0])).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.GumbelSoftmax([1.0], 0, random, new double[1])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.GumbelTopK([1.0, 2.0], random, Span<int>.Empty)).ParamName);
    }

    private static double[] Widen(float[] values)
    {
        double sum = values.Sum(v => (double)v);
        return values.Select(v => v / sum).ToArray();
    }
}
