using ScottPlot;

namespace Multinoulli.Cli.Explain;

/// <summary>What one experiment measured: named numbers (the claims the tests assert), its figure, and sometimes a second.</summary>
public sealed record Measured(IReadOnlyDictionary<string, double> Numbers, Plot Figure, Plot? Second = null);

/// <summary>
/// The experiments of <c>multinoulli explain</c>, one a section, each run on the library's real kernels and trainers
/// with fixed seeds, in well under a second each.
/// </summary>
public static class Experiments
{
    /// <summary>1. exp then normalise: the naive form overflows, the max-subtracted form does not.</summary>
    public static Measured ExponentiateAndNormalise()
    {
        // softmax([z, z − 1])₀ for growing z: the naive form computes exp(z) / (exp(z) + exp(z − 1)).
        var z = Enumerable.Range(0, 121).Select(i => i * 1.0).ToArray();
        double[] naive = z.Select(v => (double)(MathF.Exp((float)v) / (MathF.Exp((float)v) + MathF.Exp((float)v - 1)))).ToArray();
        double[] stable = z.Select(v => (double)Probabilities([(float)v, (float)v - 1])[0]).ToArray();
        double firstNaN = z.First(v => float.IsNaN(MathF.Exp((float)v) / (MathF.Exp((float)v) + MathF.Exp((float)v - 1))));
        var plot = new Plot();
        plot.Add.Scatter(z, naive.Select(v => double.IsNaN(v) ? -0.05 : v).ToArray()).LegendText = "exp(z) / Σ exp (float32; NaN drawn at −0.05)";
        plot.Add.Scatter(z, stable).LegendText = "exp(z − max) / Σ exp(z − max)";
        plot.XLabel("z (the row is [z, z − 1])");
        plot.YLabel("softmax(z)₀");
        plot.Axes.SetLimitsY(-0.1, 1.1);
        plot.ShowLegend(Alignment.UpperLeft);
        var row = Probabilities([1000f, 1000f, 2f]);
        return new(new Dictionary<string, double>
        {
            ["floatOverflowLogit"] = Math.Log(float.MaxValue),
            ["doubleOverflowLogit"] = Math.Log(double.MaxValue),
            ["firstNaNInFloat"] = firstNaN,
            ["stableAt1000"] = row[0],
            ["stableThirdAt1000"] = row[2],
            ["stableValue"] = stable[^1],
        }, plot);
    }

    /// <summary>2. Adding c to every logit changes nothing: only the distance below the maximum matters.</summary>
    public static Measured ShiftInvariance()
    {
        // In double: a float logit of 1000 + z would itself round z to 6e-5, a property of the input, not of softmax.
        var random = new Random(2);
        var logits = Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 6 - 3).ToArray();
        var reference = new double[logits.Length];
        Softmax.Probabilities(logits, reference);
        double worst = 0;
        var plot = new Plot();
        foreach (double shift in new[] { -1000.0, -10, 0, 25, 1000 })
        {
            var shifted = logits.Select(v => v + shift).ToArray();
            var p = new double[shifted.Length];
            Softmax.Probabilities(shifted, p);
            worst = Math.Max(worst, p.Zip(reference).Max(t => Math.Abs(t.First - t.Second)));
            double max = shifted.Max();
            var points = plot.Add.ScatterPoints(shifted.Select(v => v - max).ToArray(), p);
            points.LegendText = $"shift {shift:+0;−0;0}";
        }
        plot.XLabel("zᵢ − max z");
        plot.YLabel("softmax(z)ᵢ");
        plot.ShowLegend();
        return new(new Dictionary<string, double> { ["largestChange"] = worst }, plot);
    }

    /// <summary>3. max ≤ log Σ exp z ≤ max + log n, and the gap closes as the logits spread.</summary>
    public static Measured LogSumExpNearMax()
    {
        const int n = 10;
        var spreads = Enumerable.Range(0, 101).Select(i => i * 0.1).ToArray();
        var gaps = spreads.Select(s => (double)Softmax.LogSumExp(Enumerable.Range(0, n).Select(i => -s * i).ToArray()) - 0).ToArray();
        bool bounded = spreads.All(s =>
        {
            var row = Enumerable.Range(0, n).Select(i => -s * i).ToArray();
            double lse = Softmax.LogSumExp(row);
            return lse >= row.Max() && lse <= row.Max() + Math.Log(n) + 1e-12;
        });
        var plot = new Plot();
        plot.Add.Scatter(spreads, gaps).LegendText = "log Σ exp z − max z";
        plot.Add.HorizontalLine(Math.Log(n)).LegendText = "log n";
        plot.XLabel("spread s (logits 0, −s, −2s, …, −9s)");
        plot.YLabel("gap above the max");
        plot.ShowLegend();
        return new(new Dictionary<string, double> { ["gapAtSpread0"] = gaps[0], ["gapAtSpread10"] = gaps[^1], ["bounded"] = bounded ? 1 : 0 }, plot);
    }

    /// <summary>4. The log undoes the exp: the log-likelihood's gradient stays near 1 when the model is wrong.</summary>
    public static Measured WhyLogLikelihood()
    {
        var behind = Enumerable.Range(0, 41).Select(i => i * 0.5).ToArray();
        double[] likelihood = new double[behind.Length], squared = new double[behind.Length];
        for (int i = 0; i < behind.Length; i++)
        {
            // Two classes; the correct class 0 trails class 1 by d.
            float[] logits = [(float)-behind[i], 0f], g = new float[2];
            CrossEntropy.LossAndGradient(logits, 2, [0], g);
            likelihood[i] = Math.Abs(g[0]);
            SquaredError.LossAndGradient(logits, 2, [0], g);
            squared[i] = Math.Max(Math.Abs(g[0]), 1e-30);
        }
        // Training from a confidently wrong start: one input, the truth is class 0, the model says class 1 at 12 vs −12.
        // With two classes and a one-hot target, both objectives give back P(correct): −log p and 2 (1 − p)².
        var x = new DenseMatrix(100, 1, Enumerable.Repeat(1f, 100).ToArray());
        var start = new SoftmaxLayer(1, 2);
        start.SetParameters([-12f, 12f], [0f, 0f]);
        var curves = new Dictionary<TrainingLoss, List<double>>();
        double Correct(TrainingLoss loss)
        {
            // Iteration 0 is the start; a zero gradient tolerance lets the stalled run try its 20 iterations.
            var curve = curves[loss] = [Sigmoid.Probability(-24.0)];
            var layer = new LbfgsTrainer(new TrainingOptions { Loss = loss, MaxIterations = 20, GradientTolerance = 0 }).Fit(x, new int[100], initial: start,
                progress: new Recorder(p => curve.Add(loss == TrainingLoss.NegativeLogLikelihood ? Math.Exp(-p.Objective) : 1 - Math.Sqrt(p.Objective / 2)))).Layer;
            var probabilities = new float[2];
            layer.Probabilities([1f], probabilities);
            return probabilities[0];
        }
        double likelihoodCorrect = Correct(TrainingLoss.NegativeLogLikelihood), squaredCorrect = Correct(TrainingLoss.SquaredError);
        var plot = new Plot();
        plot.Add.Scatter(behind, likelihood.Select(Math.Log10).ToArray()).LegendText = "−log softmax (log-likelihood)";
        plot.Add.Scatter(behind, squared.Select(Math.Log10).ToArray()).LegendText = "squared error on softmax";
        plot.XLabel("how far the correct logit trails, d");
        plot.YLabel("log₁₀ |∂loss/∂z_correct|");
        plot.ShowLegend();
        var training = new Plot();
        foreach (var (loss, curve) in curves)
            training.Add.Scatter(Enumerable.Range(0, curve.Count).Select(i => (double)i).ToArray(), curve.ToArray()).LegendText =
                loss == TrainingLoss.NegativeLogLikelihood ? "trained by log-likelihood" : "trained by squared error";
        training.XLabel("L-BFGS iteration, from logits ±12 the wrong way");
        training.YLabel("P(correct class)");
        training.Axes.SetLimitsY(-0.05, 1.05);
        training.ShowLegend(Alignment.MiddleRight);
        return new(new Dictionary<string, double>
        {
            ["likelihoodGradientAt10"] = likelihood[20],
            ["squaredGradientAt10"] = squared[20],
            ["likelihoodCorrectAfter20"] = likelihoodCorrect,
            ["squaredCorrectAfter20"] = squaredCorrect,
        }, plot, training);
    }

    /// <summary>
    /// The one-hot data set of sections 5 and 10 (and of the library's test of the same claim): 4,000 rows, four
    /// input values, each with its own class frequencies over three classes; Observed[v, c] is the frequency.
    /// </summary>
    public static (DenseMatrix X, int[] Y, double[,] Observed) FrequencyData()
    {
        var random = new Random(5);
        int values = 4, classes = 3, rows = 4000;
        double[][] truth = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.34, 0.33, 0.33], [0.05, 0.9, 0.05]];
        var x = new float[rows * values];
        var y = new int[rows];
        var counts = new double[values, classes];
        for (int r = 0; r < rows; r++)
        {
            int v = r % values;
            x[r * values + v] = 1;
            double u = random.NextDouble();
            y[r] = u < truth[v][0] ? 0 : u < truth[v][0] + truth[v][1] ? 1 : 2;
            counts[v, y[r]]++;
        }
        for (int v = 0; v < values; v++)
            for (int c = 0; c < classes; c++) counts[v, c] /= rows / values;
        return (new DenseMatrix(rows, values, x), y, counts);
    }

    private static (SoftmaxLayer Model, double[,] Observed) FrequencyModel()
    {
        var (x, y, observed) = FrequencyData();
        return (new LbfgsTrainer(new TrainingOptions { GradientTolerance = 1e-7 }).Fit(x, y).Layer, observed);
    }

    /// <summary>5. Unpenalised maximum likelihood predicts the observed class frequencies of each input value.</summary>
    public static Measured FrequencyMatching()
    {
        var (model, observed) = FrequencyModel();
        var predicted = new float[12];
        model.Probabilities(OneHots(4), predicted);
        double worst = 0;
        var xs = new List<double>();
        var ys = new List<double>();
        for (int v = 0; v < 4; v++)
            for (int c = 0; c < 3; c++)
            {
                xs.Add(observed[v, c]);
                ys.Add(predicted[v * 3 + c]);
                worst = Math.Max(worst, Math.Abs(observed[v, c] - predicted[v * 3 + c]));
            }
        var plot = new Plot();
        plot.Add.Line(0, 0, 1, 1);
        plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
        plot.XLabel("observed frequency of class i with input value x");
        plot.YLabel("predicted softmax(z(x))ᵢ");
        return new(new Dictionary<string, double> { ["largestDifference"] = worst }, plot);
    }

    /// <summary>6. Saturation: outputs go to 0 and 1 as the gaps grow or the temperature falls.</summary>
    public static Measured Saturation()
    {
        var gaps = Enumerable.Range(0, 61).Select(i => i * 0.5).ToArray();
        var top = gaps.Select(d => (double)Probabilities([0f, (float)d, (float)(d / 2)])[1]).ToArray();
        var plot = new Plot();
        plot.Add.Scatter(gaps, top).LegendText = "largest output, logits [0, d, d/2]";
        plot.XLabel("gap d");
        plot.YLabel("softmax output of the leading class");
        plot.ShowLegend();
        var cold = new float[3];
        Softmax.Probabilities([1f, 2f, 3f], cold, new SoftmaxOptions { Temperature = 0.05 });
        return new(new Dictionary<string, double> { ["topAtGap20"] = Probabilities([0f, 20f, 10f])[1], ["topAtTemperature0.05"] = cold[2] }, plot);
    }

    /// <summary>7. Full and reference-class parameterizations: one distribution, different paths to it.</summary>
    public static Measured FullVersusReference()
    {
        var random = new Random(7);
        int rows = 2000, features = 6, classes = 4;
        var x = Enumerable.Range(0, rows * features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, features * classes).Select(_ => random.NextDouble() * 3 - 1.5).ToArray();
        var y = Enumerable.Range(0, rows).Select(r =>
        {
            var z = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, features).Sum(f => x[r * features + f] * w[f * classes + c])).ToArray();
            return Categorical.FromLogits(z).Sample(random);
        }).ToArray();
        var data = new DenseMatrix(rows, features, x);
        var curves = new Dictionary<Parameterization, List<double>>();
        var results = new Dictionary<Parameterization, TrainingResult>();
        foreach (var parameterization in new[] { Parameterization.Full, Parameterization.Reference })
        {
            var curve = curves[parameterization] = [];
            results[parameterization] = new LbfgsTrainer(new TrainingOptions { Parameterization = parameterization, GradientTolerance = 1e-7 })
                .Fit(data, y, progress: new Recorder(p => curve.Add(p.Objective)));
        }
        var pf = new float[rows * classes];
        var pr = new float[rows * classes];
        results[Parameterization.Full].Layer.Probabilities(x, pf);
        results[Parameterization.Reference].Layer.Probabilities(x, pr);
        var plot = new Plot();
        foreach (var (parameterization, curve) in curves)
            plot.Add.Scatter(Enumerable.Range(1, curve.Count).Select(i => (double)i).ToArray(), curve.ToArray()).LegendText =
                $"{parameterization} ({(parameterization == Parameterization.Full ? classes : classes - 1)} columns)";
        plot.XLabel("L-BFGS iteration");
        plot.YLabel("mean negative log-likelihood");
        plot.ShowLegend();
        return new(new Dictionary<string, double>
        {
            ["logisticWeightDifference"] = TwoClassReferenceVersusLogistic(random),
            ["objectiveDifference"] = Math.Abs(results[Parameterization.Full].Objective - results[Parameterization.Reference].Objective),
            ["largestProbabilityDifference"] = pf.Zip(pr).Max(t => Math.Abs(t.First - t.Second)),
            ["fullIterations"] = results[Parameterization.Full].Iterations,
            ["referenceIterations"] = results[Parameterization.Reference].Iterations,
        }, plot);
    }

    /// <summary>
    /// The two-class reference model against logistic regression fitted independently by Newton's method:
    /// P(class 0) = σ(wᵀx + b) in both; returns the largest difference between their weights and bias.
    /// </summary>
    private static double TwoClassReferenceVersusLogistic(Random random)
    {
        int rows = 1500, d = 3;
        var x = Enumerable.Range(0, rows * d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Range(0, rows).Select(r => random.NextDouble() < Sigmoid.Probability(2 * x[r * d] - x[r * d + 1] + 0.5) ? 0 : 1).ToArray();
        var layer = new LbfgsTrainer(new TrainingOptions { Parameterization = Parameterization.Reference, GradientTolerance = 1e-9 })
            .Fit(new DenseMatrix(rows, d, x), y).Layer;
        var beta = new double[d + 1];
        for (int iteration = 0; iteration < 30; iteration++)
        {
            var gradient = new double[d + 1];
            var hessian = new double[d + 1, d + 1];
            for (int r = 0; r < rows; r++)
            {
                double[] features = [.. x.AsSpan(r * d, d).ToArray().Select(v => (double)v), 1];
                double p = Sigmoid.Probability(features.Zip(beta).Sum(t => t.First * t.Second));
                for (int i = 0; i <= d; i++)
                {
                    gradient[i] += (p - (y[r] == 0 ? 1 : 0)) * features[i];
                    for (int j = 0; j <= d; j++) hessian[i, j] += p * (1 - p) * features[i] * features[j];
                }
            }
            var step = Solve(hessian, gradient);
            for (int i = 0; i <= d; i++) beta[i] -= step[i];
        }
        double worst = Math.Abs(beta[d] - layer.Bias(0));
        for (int f = 0; f < d; f++) worst = Math.Max(worst, Math.Abs(beta[f] - layer.Weight(f, 0)));
        return worst;
    }

    /// <summary>Gaussian elimination for the small Newton systems.</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int k = 0; k < n; k++)
            for (int i = k + 1; i < n; i++)
            {
                double factor = m[i, k] / m[k, k];
                for (int j = k; j < n; j++) m[i, j] -= factor * m[k, j];
                v[i] -= factor * v[k];
            }
        var result = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = v[i];
            for (int j = i + 1; j < n; j++) sum -= m[i, j] * result[j];
            result[i] = sum / m[i, i];
        }
        return result;
    }

    /// <summary>8. softmax is a soft arg max (a one-hot vector in the limit); softmax(z)ᵀz is the soft max.</summary>
    public static Measured SoftArgmax()
    {
        double[] z = [1, 2, 3, 0.5];
        var temperatures = Enumerable.Range(-20, 41).Select(i => Math.Pow(10, i / 10.0)).ToArray();
        var smooth = temperatures.Select(t => Softmax.SmoothMax(z, new SoftmaxOptions { Temperature = t })).ToArray();
        var cold = new double[4];
        Softmax.Probabilities(z, cold, new SoftmaxOptions { Temperature = 0.01 });
        var plot = new Plot();
        plot.Add.Scatter(temperatures.Select(Math.Log10).ToArray(), smooth).LegendText = "softmax(z/T)ᵀz";
        plot.Add.HorizontalLine(z.Max()).LegendText = "max z";
        plot.Add.HorizontalLine(z.Average()).LegendText = "mean z";
        plot.XLabel("log₁₀ T");
        plot.YLabel("soft max of z = [1, 2, 3, 0.5]");
        plot.ShowLegend();
        return new(new Dictionary<string, double>
        {
            ["distanceFromOneHotAtT0.01"] = Math.Max(1 - cold[2], cold.Where((_, i) => i != 2).Max()),
            ["smoothMaxAtT0.01"] = smooth[0],
            ["smoothMaxAtT100"] = smooth[^1],
        }, plot);
    }

    /// <summary>9. softmax inside a model: attention weights choose among values.</summary>
    public static Measured InsideAModel()
    {
        // Four keys and their values; the query points the way of key 2. Scaled dot-product attention.
        double[][] keys = [[1, 0], [0, 1], [0.7, 0.7], [-1, 0]];
        double[] values = [10, 20, 30, 40];
        double[] query = [3.5, 3.5];
        var scores = keys.Select(k => (k[0] * query[0] + k[1] * query[1]) / Math.Sqrt(2)).ToArray();
        var weights = new double[4];
        Softmax.Probabilities(scores, weights);
        double output = weights.Zip(values).Sum(t => t.First * t.Second);
        var plot = new Plot();
        plot.Add.Bars(weights);
        plot.Axes.Bottom.SetTicks([0, 1, 2, 3], ["key 0 (10)", "key 1 (20)", "key 2 (30)", "key 3 (40)"]);
        plot.YLabel("attention weight = softmax(q·k / √d)");
        return new(new Dictionary<string, double> { ["weightOfMatchingKey"] = weights[2], ["output"] = output, ["weightSum"] = weights.Sum() }, plot);
    }

    /// <summary>10. Nothing but the loss makes the linear layer predict log-probabilities: z = log f + a constant per input.</summary>
    public static Measured LogitsAreLogProbabilities()
    {
        var (model, observed) = FrequencyModel();
        var logits = new float[12];
        model.Logits(OneHots(4), logits);
        double worstSpread = 0;
        var plot = new Plot();
        for (int v = 0; v < 4; v++)
        {
            var offsets = Enumerable.Range(0, 3).Select(c => logits[v * 3 + c] - Math.Log(observed[v, c])).ToArray();
            worstSpread = Math.Max(worstSpread, offsets.Max() - offsets.Min());
            var points = plot.Add.ScatterPoints(Enumerable.Range(0, 3).Select(c => Math.Log(observed[v, c])).ToArray(), Enumerable.Range(0, 3).Select(c => (double)logits[v * 3 + c]).ToArray());
            points.LegendText = $"input value {v}";
        }
        plot.XLabel("log observed frequency");
        plot.YLabel("trained logit zᵢ(x)");
        plot.ShowLegend();
        return new(new Dictionary<string, double> { ["largestSpreadOfOffsets"] = worstSpread }, plot);
    }

    private static float[] Probabilities(float[] logits)
    {
        var p = new float[logits.Length];
        Softmax.Probabilities(logits, p);
        return p;
    }

    private static float[] OneHots(int n)
    {
        var x = new float[n * n];
        for (int v = 0; v < n; v++) x[v * n + v] = 1;
        return x;
    }

    private sealed class Recorder(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
