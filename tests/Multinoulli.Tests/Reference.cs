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
        double sum = 0, compensation = 0;
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
            // Neumaier summation.
            double t = sum + e[i];
            compensation += Math.Abs(sum) >= Math.Abs(e[i]) ? (sum - t) + e[i] : (e[i] - t) + sum;
            sum = t;
        }
        sum += compensation;
        double logSum = Math.Log(sum);
        var p = new double[n];
        var log = new double[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = e[i] / sum;
            log[i] = double.IsNegativeInfinity(hi[i]) ? double.NegativeInfinity : (hi[i] - logSum) + lo[i];
        }
        return (log, p, m + logSum);
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
}
