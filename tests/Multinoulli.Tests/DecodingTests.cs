using CsCheck;

namespace Multinoulli.Tests;

/// <summary>
/// The decoding chain against a plain reference that sorts every class, on random rows and random chains; exact
/// tie rules; and the draws against the truncated distribution.
/// </summary>
public class DecodingTests
{
    internal enum Kind { Temperature, TopK, TopP, MinP }

    internal readonly record struct Step(Kind Kind, double Value)
    {
        public SamplingStep Build() => Kind switch
        {
            Kind.Temperature => SamplingStep.Temperature(Value),
            Kind.TopK => SamplingStep.TopK((int)Value),
            Kind.TopP => SamplingStep.TopP(Value),
            _ => SamplingStep.MinP(Value),
        };
    }

    /// <summary>The chain the slow, obvious way: sort every class by (logit desc, index asc), then cut prefixes.</summary>
    internal static double[] ReferenceDistribution(float[] logits, IEnumerable<Step> steps) => ReferenceDistribution(logits, steps, out _);

    /// <summary>
    /// As above; <paramref name="roundingTie"/> says whether a top-p cut fell where the running sum and p × total agree
    /// to 1e-12: there, summing the same weights in another order (as a selection must) can move the cut by one class.
    /// </summary>
    internal static double[] ReferenceDistribution(float[] logits, IEnumerable<Step> steps, out bool roundingTie)
    {
        roundingTie = false;
        bool infinite = logits.Any(float.IsPositiveInfinity);
        var z = logits.Select(v => infinite ? (float.IsPositiveInfinity(v) ? 0 : double.NegativeInfinity) : v).ToArray();
        var order = Enumerable.Range(0, z.Length).Where(i => !double.IsNegativeInfinity(z[i]))
            .OrderByDescending(i => z[i]).ThenBy(i => i).ToList();
        double scale = 1;
        double[] Weights() => order.Select(i => Math.Exp(scale * (z[i] - z[order[0]]))).ToArray();
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case Kind.Temperature when double.IsFinite(scale / step.Value):
                    scale /= step.Value;
                    break;
                case Kind.Temperature:
                    order = order.Where(i => z[i] == z[order[0]]).ToList();
                    scale = 1;
                    break;
                case Kind.TopK:
                    order = order.Take((int)step.Value).ToList();
                    break;
                case Kind.TopP when step.Value < 1:
                    var weights = Weights();
                    double need = step.Value * weights.Sum(), running = 0;
                    int keep = order.Count;
                    for (int i = 0; i < weights.Length; i++)
                    {
                        double before = running;
                        running += weights[i];
                        if (Math.Abs(running - need) <= 1e-12 * need || Math.Abs(before - need) <= 1e-12 * need) roundingTie = true;
                        if (running >= need)
                        {
                            keep = i + 1;
                            break;
                        }
                    }
                    order = order.Take(keep).ToList();
                    break;
                case Kind.MinP when step.Value > 0:
                    double top = z[order[0]];
                    order = order.Where(i => scale * (z[i] - top) >= Math.Log(step.Value)).ToList();
                    break;
            }
        }
        var final = Weights();
        double total = final.Sum();
        var result = new double[z.Length];
        for (int i = 0; i < order.Count; i++) result[order[i]] = final[i] / total;
        return result;
    }

    private static double[] Distribution(float[] logits, params Step[] steps)
    {
        var result = new double[logits.Length];
        new DecodingSampler(steps.Select(s => s.Build()).ToArray()).Distribution(logits, result);
        return result;
    }

    private static bool Agrees(float[] logits, Step[] steps, out string why)
    {
        var expected = ReferenceDistribution(logits, steps, out bool roundingTie);
        why = "";
        // At an exact rounding tie the cut is decided by the order of a floating-point sum, not by the rule.
        if (roundingTie) return true;
        var actual = Distribution(logits, steps);
        for (int i = 0; i < logits.Length; i++)
        {
            if ((expected[i] == 0) != (actual[i] == 0) || Math.Abs(expected[i] - actual[i]) > 1e-12 * Math.Max(expected[i], 1e-300) + 1e-15)
            {
                why = $"class {i}: expected {expected[i]:R}, got {actual[i]:R}; kept {expected.Count(p => p > 0)} vs {actual.Count(p => p > 0)}";
                return false;
            }
        }
        return true;
    }

    private static readonly Gen<Step> Steps = Gen.OneOf(
        Gen.OneOf(Gen.Double[0.05, 5], Gen.Const(0.0)).Select(t => new Step(Kind.Temperature, t)),
        Gen.Int[1, 80].Select(k => new Step(Kind.TopK, k)),
        Gen.Double[0.01, 1].Select(p => new Step(Kind.TopP, p)),
        Gen.OneOf(Gen.Double[0, 0.6], Gen.Const(1.0)).Select(m => new Step(Kind.MinP, m)));

    [Fact]
    public void Random_chains_keep_exactly_what_a_full_sort_keeps()
    {
        var cases =
            from row in Generators.Row(3000)
            from steps in Steps.Array[0, 5]
            select (logits: Generators.ToSingle(row.Select(v => Math.Clamp(v, -1e4, 1e4)).ToArray()), steps);
        cases.Sample(c => Agrees(c.logits, c.steps, out _), iter: 400,
            print: c => Agrees(c.logits, c.steps, out var why) ? "" : $"{string.Join(" → ", c.steps)} on {c.logits.Length} classes: {why}");
    }

    [Fact]
    public void The_benchmark_chain_on_a_128000_class_row_keeps_what_a_full_sort_keeps_in_any_order()
    {
        var random = new Random(13);
        // Language-model-like logits: a Gaussian bulk and a few strong candidates, rounded so that ties occur.
        var logits = new float[128_000];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = MathF.Round((float)(2 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())), 2);
        for (int i = 0; i < 20; i++) logits[random.Next(logits.Length)] = 12 + i % 5;
        Step[] chain = [new(Kind.Temperature, 0.8), new(Kind.TopK, 50), new(Kind.TopP, 0.9), new(Kind.MinP, 0.05)];
        foreach (var order in new[] { chain, chain.Reverse().ToArray(), [chain[2], chain[0], chain[3], chain[1]], [chain[1]], [chain[2]] })
            Assert.True(Agrees(logits, order, out var why), $"{string.Join(" → ", order)}: {why}");
    }

    [Theory]
    [InlineData("topk 2", new[] { 0, 1 })]
    [InlineData("topp 0.5", new[] { 0, 1 })]
    [InlineData("topp 0.6", new[] { 0, 1, 2 })]
    [InlineData("minp 1", new[] { 0, 1, 2, 3 })]
    [InlineData("temperature 0", new[] { 0, 1, 2, 3 })]
    public void Ties_go_to_the_lower_class_index_and_a_threshold_tie_is_kept(string step, int[] kept)
    {
        var parts = step.Split(' ');
        var kind = parts[0] switch { "topk" => Kind.TopK, "topp" => Kind.TopP, "minp" => Kind.MinP, _ => Kind.Temperature };
        var result = Distribution([1f, 1f, 1f, 1f], new Step(kind, double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(kept, Enumerable.Range(0, 4).Where(i => result[i] > 0));
        Assert.All(kept, i => Assert.Equal(1.0 / kept.Length, result[i], 15));
    }

    [Fact]
    public void Greedy_decoding_keeps_the_tied_maxima_and_infinite_logits_win()
    {
        Assert.Equal([0.5, 0, 0.5, 0], Distribution([3f, 1f, 3f, 2f], new Step(Kind.Temperature, 0)));
        Assert.Equal([1, 0, 0, 0], Distribution([3f, 1f, 3f, 2f], new Step(Kind.TopK, 1)));
        Assert.Equal([0, 0.5, 0, 0.5], Distribution([3f, float.PositiveInfinity, float.NegativeInfinity, float.PositiveInfinity]));
        Assert.Equal([0, 1, 0, 0], Distribution([3f, float.PositiveInfinity, 2f, float.PositiveInfinity], new Step(Kind.TopK, 1)));
    }

    [Fact]
    public void Draws_fit_the_truncated_distribution()
    {
        var random = new Random(14);
        var logits = Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 8)).ToArray();
        var sampler = new DecodingSampler(SamplingStep.Temperature(0.7), SamplingStep.TopK(30), SamplingStep.TopP(0.8), SamplingStep.MinP(0.1));
        var exact = new double[logits.Length];
        sampler.Distribution(logits, exact);
        Assert.InRange(exact.Count(p => p > 0), 5, 30);
        var counts = new long[logits.Length];
        for (int i = 0; i < 100_000; i++) counts[sampler.Sample(logits, random)]++;
        GoodnessOfFit.AssertFits(counts, exact, sampler.ToString());
        Assert.Equal("temperature 0.7 → top-k 30 → top-p 0.8 → min-p 0.1", sampler.ToString());
    }

    [Fact]
    public void Bad_steps_and_rows_are_refused_naming_the_argument()
    {
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.TopK(0)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.TopP(0)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.TopP(1.5)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.TopP(double.NaN)).ParamName);
        Assert.Equal("minP", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.MinP(-0.1)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.Temperature(-1)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => SamplingStep.Temperature(double.PositiveInfinity)).ParamName);
        var sampler = new DecodingSampler(SamplingStep.TopK(3));
        var random = new Random(1);
        var nan = Assert.Throws<ArgumentException>(() => sampler.Sample([0f, 1f, float.NaN], random));
        Assert.Equal("logits", nan.ParamName);
        Assert.Contains("Element 2", nan.Message);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Sample([float.NegativeInfinity], random)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Sample([], random)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => sampler.Distribution([1f, 2f], new double[1])).ParamName);
        Assert.Throws<ArgumentNullException>(() => new DecodingSampler(SamplingStep.TopK(1), null!));
    }
}
