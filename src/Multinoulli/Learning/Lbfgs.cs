using System.Numerics;
using System.Runtime.CompilerServices;
using System.Diagnostics;

namespace Multinoulli.Learning;

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithm 7.4) with a backtracking Armijo line
/// search that interpolates quadratically. Deterministic: the same start and objective give the same iterates.
/// </summary>
internal static class Lbfgs
{
    private const double Armijo = 1e-4;
    private const int MaxBacktracks = 40;

    public delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

    public sealed record Outcome(double[] X, StopReason Reason, int Iterations, int Evaluations, double Value, double GradientNorm);

    /// <summary>Where and how often to save the state, and the problem it belongs to.</summary>
    public sealed record Checkpointing(string Path, TimeSpan Interval, ulong Fingerprint);

    public static Outcome Minimize(Objective objective, double[] start, TrainingOptions options, Action<TrainingProgress>? report,
        Checkpointing? checkpointing, CancellationToken cancellationToken)
    {
        int n = start.Length, m = options.HistoryFor(start.Length);
        LbfgsState state;
        if (checkpointing is not null && File.Exists(checkpointing.Path))
        {
            state = LbfgsState.Load(checkpointing.Path, checkpointing.Fingerprint, n, m);
        }
        else
        {
            state = new LbfgsState { X = (double[])start.Clone(), Gradient = new double[n], Evaluations = 1 };
            state.Value = objective(state.X, state.Gradient);
        }
        var clock = Stopwatch.StartNew();
        TimeSpan elapsedBefore = state.Elapsed, lastSave = TimeSpan.Zero;
        var x = state.X;
        var g = state.Gradient;
        double f = state.Value;
        int evaluations = state.Evaluations;
        var direction = new double[n];
        var trial = new double[n];
        var trialGradient = new double[n];
        var s = new double[m][];
        var y = new double[m][];
        var rho = new double[m];
        var alpha = new double[m];
        for (int i = 0; i < m; i++)
        {
            s[i] = new double[n];
            y[i] = new double[n];
        }
        // The saved pairs go back oldest first, so the ring holds them in the same order as before the interruption.
        int stored = state.Pairs.Count, newest = stored - 1;
        for (int k = 0; k < stored; k++)
        {
            state.Pairs[k].S.CopyTo(s[k], 0);
            state.Pairs[k].Y.CopyTo(y[k], 0);
            rho[k] = state.Pairs[k].Rho;
        }
        void Save(int iterationsDone)
        {
            var pairs = new List<(double[], double[], double)>(stored);
            for (int k = stored - 1; k >= 0; k--)
            {
                int j = (newest - k + m) % m;
                pairs.Add((s[j], y[j], rho[j]));
            }
            new LbfgsState
            {
                X = x, Gradient = g, Value = f, Iteration = iterationsDone, Evaluations = evaluations, Elapsed = elapsedBefore + clock.Elapsed, Pairs = pairs,
            }.Save(checkpointing!.Path, checkpointing.Fingerprint, m);
        }

        for (int iteration = state.Iteration; ; iteration++)
        {
            double gradientNorm = MaxAbs(g);
            if (gradientNorm <= options.GradientTolerance) return new(x, StopReason.GradientTolerance, iteration, evaluations, f, gradientNorm);
            if (iteration >= options.MaxIterations) return new(x, StopReason.MaxIterations, iteration, evaluations, f, gradientNorm);
            if (cancellationToken.IsCancellationRequested)
            {
                // An interrupted run leaves its latest state behind, whatever the interval.
                if (checkpointing is not null) Save(iteration);
                return new(x, StopReason.Cancelled, iteration, evaluations, f, gradientNorm);
            }

            // Two-loop recursion: direction = −H g, with H₀ = (sᵀy / yᵀy) I from the newest pair.
            for (int i = 0; i < n; i++) direction[i] = -g[i];
            for (int k = 0, j = newest; k < stored; k++, j = (j - 1 + m) % m)
            {
                alpha[j] = rho[j] * Dot(s[j], direction);
                Axpy(-alpha[j], y[j], direction);
            }
            if (stored > 0) Scale(Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]), direction);
            for (int k = 0, j = (newest - stored + 1 + m) % m; k < stored; k++, j = (j + 1) % m)
            {
                double beta = rho[j] * Dot(y[j], direction);
                Axpy(alpha[j] - beta, s[j], direction);
            }
            double slope = Dot(g, direction);
            if (!(slope < 0))
            {
                // Not a descent direction (the curvature pairs went stale): restart from steepest descent.
                stored = 0;
                for (int i = 0; i < n; i++) direction[i] = -g[i];
                slope = Dot(g, direction);
            }
            // The first step has no curvature to scale it: make it unit length.
            double step = stored == 0 ? Math.Min(1, 1 / Math.Sqrt(-slope)) : 1;
            double trialValue = 0;
            bool accepted = false;
            for (int backtrack = 0; backtrack < MaxBacktracks; backtrack++)
            {
                for (int i = 0; i < n; i++) trial[i] = x[i] + step * direction[i];
                trialValue = objective(trial, trialGradient);
                evaluations++;
                if (trialValue <= f + Armijo * step * slope)
                {
                    accepted = true;
                    break;
                }
                // Minimise the quadratic through f, the slope and the trial value, kept within [0.1, 0.5] of the step.
                double curvature = trialValue - f - step * slope;
                double next = curvature > 0 ? -slope * step * step / (2 * curvature) : 0.5 * step;
                step = Math.Clamp(next, 0.1 * step, 0.5 * step);
            }
            if (!accepted) return new(x, StopReason.LineSearchFailed, iteration, evaluations, f, gradientNorm);

            int slot = (newest + 1) % m;
            for (int i = 0; i < n; i++)
            {
                s[slot][i] = trial[i] - x[i];
                y[slot][i] = trialGradient[i] - g[i];
            }
            double curvatureAlongStep = Dot(s[slot], y[slot]);
            // A pair without positive curvature would break the update; it is not kept.
            if (curvatureAlongStep > 1e-12 * Math.Sqrt(Dot(s[slot], s[slot]) * Dot(y[slot], y[slot])))
            {
                rho[slot] = 1 / curvatureAlongStep;
                newest = slot;
                stored = Math.Min(stored + 1, m);
            }
            double improvement = f - trialValue;
            trial.CopyTo(x, 0);
            trialGradient.CopyTo(g, 0);
            f = trialValue;
            var elapsed = elapsedBefore + clock.Elapsed;
            report?.Invoke(new TrainingProgress(iteration + 1, evaluations, f, MaxAbs(g), elapsed));
            if (checkpointing is not null && clock.Elapsed - lastSave >= checkpointing.Interval)
            {
                lastSave = clock.Elapsed;
                Save(iteration + 1);
            }
            if (improvement <= options.RelativeImprovementTolerance * Math.Max(Math.Abs(f), 1))
                return new(x, StopReason.RelativeImprovement, iteration + 1, evaluations, f, MaxAbs(g));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = Vector<double>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
            sum += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
        double total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        var scale = new Vector<double>(a);
        int i = 0;
        for (; i <= y.Length - Vector<double>.Count; i += Vector<double>.Count)
            (new Vector<double>(y[i..]) + scale * new Vector<double>(x[i..])).CopyTo(y[i..]);
        for (; i < y.Length; i++) y[i] += a * x[i];
    }

    private static void Scale(double a, Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= a;
    }

    private static double MaxAbs(ReadOnlySpan<double> x)
    {
        double max = 0;
        foreach (double v in x) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
