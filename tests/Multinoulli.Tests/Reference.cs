namespace Multinoulli.Tests;

/// <summary>
/// Independent float64 references, written the plain way: max, exp of the exact difference, compensated sum.
/// For double inputs the difference z − max is kept as hi + lo so the reference is good to a few ulp.
/// </summary>
internal static class Reference
{
    public static double Max(ReadOnlySpan<double> z)
    {
        double m = double.NegativeInfinity;
        foreach (var v in z) m = Math.Max(m, v);
        return m;
    }

    /// <summary>(log-probabilities, probabilities, log-sum-exp) for a finite row.</summary>
    public static (double[] Log, double[] P, double Lse) Softmax(ReadOnlySpan<double> z)
    {
        double m = Max(z);
        int n = z.Length;
        var hi = new double[n];
        var lo = new double[n];
        var e = new double[n];
        // The maxima (exp 0 = 1 each) are counted apart from the rest, so that log Σ = log1p(k − 1 + rest) keeps a
        // confident class's log-probability, −log1p(rest), accurate in relative terms however small rest is.
        double rest = 0, compensation = 0;
        int maxima = 0;
        for (int i = 0; i < n; i++)
        {
            hi[i] = z[i] - m;
            // TwoSum error of z + (−m), exact when no overflow.
            double a = z[i], b = -m, s = hi[i];
            if (double.IsFinite(s))
            {
                double bb = s - a;
                lo[i] = (a - (s - bb)) + (b - bb);
            }
            e[i] = Math.Exp(hi[i]) * (1 + lo[i]);
            if (hi[i] == 0 && lo[i] == 0)
            {
                maxima++;
                continue;
            }
            // Neumaier summation.
            double t = rest + e[i];
            compensation += Math.Abs(rest) >= Math.Abs(e[i]) ? (rest - t) + e[i] : (e[i] - t) + rest;
            rest = t;
        }
        rest += compensation;
        double sum = maxima + rest;
        double logSum = LogOnePlus(maxima - 1 + rest);
        var p = new double[n];
        var log = new double[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = e[i] / sum;
            log[i] = double.IsNegativeInfinity(hi[i]) ? double.NegativeInfinity : (hi[i] - logSum) + lo[i];
        }
        return (log, p, m + logSum);
    }

    /// <summary>log(1 + x) for x ≥ 0 to a few ulp: log u for u = 1 + x rounded, less the rounding's share.</summary>
    private static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) - ((u - 1) - x) / u;
    }

    public static double[] Widen(ReadOnlySpan<float> z)
    {
        var result = new double[z.Length];
        for (int i = 0; i < z.Length; i++) result[i] = z[i];
        return result;
    }

    /// <summary>Central finite difference of f at x along coordinate i.</summary>
    public static double Derivative(Func<double[], double> f, double[] x, int i, double step = 1e-6)
    {
        double saved = x[i];
        x[i] = saved + step;
        double up = f(x);
        x[i] = saved - step;
        double down = f(x);
        x[i] = saved;
        return (up - down) / (2 * step);
    }

    /// <summary>
    /// Cross-entropy of one finite row against the smoothed target t′ⱼ = (1 − ε)·tⱼ + uⱼ (t the one-hot
    /// <paramref name="label"/> or <paramref name="soft"/>; u = ε over every class, or with
    /// <paramref name="masked"/> over the classes whose logit is not −∞), weighted by w: the loss
    /// Σ w·t′·(−log p) over the terms with w·t′ &gt; 0, its unscaled gradient p·A − w ⊙ t′ with A = Σ w·t′, and
    /// p·A + w ⊙ t′, the size a rounding error in either term is relative to.
    /// </summary>
    public static (double Loss, double[] Gradient, double[] Size) CrossEntropy(double[] z, int label, double[]? soft, double[]? weights, double smoothing, bool masked)
    {
        var (log, p, _) = Softmax(z);
        int support = masked ? z.Count(v => !double.IsNegativeInfinity(v)) : z.Length;
        var target = new double[z.Length];
        // Compensated: thousands of ε/n shares would otherwise drift by 1e-13 in double.
        Multinoulli.Kernels.CompensatedSum weightSum = default, lossSum = default;
        for (int j = 0; j < z.Length; j++)
        {
            double own = soft is null ? (j == label ? 1 - smoothing : 0) : (1 - smoothing) * soft[j];
            double uniform = masked && double.IsNegativeInfinity(z[j]) ? 0 : smoothing / support;
            target[j] = (own + uniform) * (weights is null ? 1 : weights[j]);
            if (target[j] > 0)
            {
                weightSum.Add(target[j]);
                lossSum.Add(target[j] * -log[j]);
            }
        }
        double weight = weightSum.Value, loss = lossSum.Value;
        var gradient = new double[z.Length];
        var size = new double[z.Length];
        for (int j = 0; j < z.Length; j++)
        {
            gradient[j] = p[j] * weight - target[j];
            size[j] = p[j] * weight + target[j];
        }
        return (loss, gradient, size);
    }
}
