namespace Multinoulli.Tests;

/// <summary>
/// Pearson's chi-square test of observed class counts against exact probabilities. The threshold 1e-6 on the
/// p-value means a correct sampler fails with probability below one in a million; the power tests show that a
/// biased sampler fails it.
/// </summary>
internal static class GoodnessOfFit
{
    public const double Threshold = 1e-6;

    /// <summary>The p-value of the counts under the probabilities; −1 if an impossible class was drawn.</summary>
    public static double PValue(ReadOnlySpan<long> counts, ReadOnlySpan<double> probabilities)
    {
        long draws = 0;
        foreach (long c in counts) draws += c;
        // Bins with an expected count below 5 are pooled so that the chi-square approximation holds.
        double statistic = 0, pooledExpected = 0;
        long pooledObserved = 0;
        int bins = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double expected = probabilities[i] * draws;
            if (probabilities[i] == 0)
            {
                if (counts[i] != 0) return -1;
                continue;
            }
            if (expected < 5)
            {
                pooledExpected += expected;
                pooledObserved += counts[i];
                continue;
            }
            statistic += Square(counts[i] - expected) / expected;
            bins++;
        }
        if (pooledExpected > 0)
        {
            statistic += Square(pooledObserved - pooledExpected) / pooledExpected;
            bins++;
        }
        return bins < 2 ? 1 : UpperRegularizedGamma((bins - 1) / 2.0, statistic / 2);
    }

    /// <summary>Asserts that the counts fit, printing the worst classes when they do not.</summary>
    public static void AssertFits(ReadOnlySpan<long> counts, ReadOnlySpan<double> probabilities, string sampler)
    {
        double p = PValue(counts, probabilities);
        long draws = 0;
        foreach (long c in counts) draws += c;
        var detail = new System.Text.StringBuilder();
        for (int i = 0; i < Math.Min(counts.Length, 20); i++) detail.Append($"{i}: {counts[i]} vs {probabilities[i] * draws:F1}, ");
        Assert.True(p > Threshold, $"{sampler}: p-value {p:G3} (−1: an impossible class was drawn). Observed vs expected: {detail}");
    }

    public static long[] Count(ReadOnlySpan<int> draws, int classes)
    {
        var counts = new long[classes];
        foreach (int d in draws) counts[d]++;
        return counts;
    }

    private static double Square(double x) => x * x;

    /// <summary>Q(a, x) = Γ(a, x) / Γ(a): a series below x = a + 1, a continued fraction (modified Lentz) above.</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0) return 1;
        double logPrefactor = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 10_000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return 1 - sum * Math.Exp(logPrefactor);
        }
        const double Tiny = 1e-300;
        double b = x + 1 - a, c = 1 / Tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = b + an / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(logPrefactor) * h;
    }

    /// <summary>log Γ(a) for a > 0 by Lanczos' approximation (g = 7, nine terms), good to about 1e-15.</summary>
    public static double LogGamma(double a)
    {
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (a < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * a)) - LogGamma(1 - a);
        a -= 1;
        double sum = c[0];
        for (int i = 1; i < c.Length; i++) sum += c[i] / (a + i);
        double t = a + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (a + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
