using System.IO.Compression;
using Multinoulli.Learning;

namespace Multinoulli.Tests;

/// <summary>The softmax layer, its objective and the L-BFGS trainer, checked against the seed's claims.</summary>
public class LearningTests
{
    /// <summary>Rows of small random features, about a third of them zero, and labels from a noisy linear rule.</summary>
    private static (DenseMatrix X, int[] Y) Synthetic(int rows, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var truth = Enumerable.Range(0, features * classes).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var x = new float[rows * features];
        var y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++) x[r * features + f] = random.Next(3) == 0 ? 0 : (float)(random.NextDouble() * 2 - 1);
            var scores = Enumerable.Range(0, classes).Select(c =>
                Enumerable.Range(0, features).Sum(f => x[r * features + f] * truth[f * classes + c]) - Math.Log(-Math.Log(random.NextDouble()))).ToArray();
            y[r] = Array.IndexOf(scores, scores.Max());
        }
        return (new DenseMatrix(rows, features, x), y);
    }

    [Theory]
    [InlineData(Parameterization.Full)]
    [InlineData(Parameterization.Reference)]
    public void Backward_gives_the_exact_products_of_inputs_and_logit_gradients(Parameterization parameterization)
    {
        var random = new Random(1);
        int rows = 7, features = 5, classes = 4;
        var layer = new SoftmaxLayer(features, classes, parameterization, referenceClass: 1);
        var w = Enumerable.Range(0, features * classes).Select(i => layer.ReferenceClass == i % classes ? 0f : (float)random.NextDouble()).ToArray();
        layer.SetParameters(w, [0.5f, 0, -0.25f, 1]);
        var x = Enumerable.Range(0, rows * features).Select(i => i % 3 == 0 ? 0f : (float)(random.NextDouble() - 0.5)).ToArray();
        var g = Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var dW = new float[features * classes];
        var db = new float[classes];
        var dh = new float[rows * features];
        layer.Backward(x, g, dW, db, dh);
        for (int f = 0; f < features; f++)
            for (int c = 0; c < classes; c++)
            {
                double expected = c == layer.ReferenceClass ? 0 : Enumerable.Range(0, rows).Sum(r => (double)x[r * features + f] * g[r * classes + c]);
                Assert.Equal(expected, dW[f * classes + c], 5);
            }
        for (int c = 0; c < classes; c++)
            Assert.Equal(c == layer.ReferenceClass ? 0 : Enumerable.Range(0, rows).Sum(r => (double)g[r * classes + c]), db[c], 5);
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < features; f++)
                Assert.Equal(Enumerable.Range(0, classes).Where(c => c != layer.ReferenceClass).Sum(c => (double)w[f * classes + c] * g[r * classes + c]), dh[r * features + f], 5);
        // And the forward pass is Wᵀh + b.
        var logits = new float[rows * classes];
        layer.Logits(x, logits);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < classes; c++)
                Assert.Equal(Enumerable.Range(0, features).Sum(f => (double)x[r * features + f] * w[f * classes + c]) + layer.Bias(c), logits[r * classes + c], 5);
    }

    public static TheoryData<TrainingLoss, Parameterization, bool> Objectives => new()
    {
        { TrainingLoss.NegativeLogLikelihood, Parameterization.Full, false },
        { TrainingLoss.NegativeLogLikelihood, Parameterization.Reference, false },
        { TrainingLoss.NegativeLogLikelihood, Parameterization.Full, true },
        { TrainingLoss.SquaredError, Parameterization.Full, false },
    };

    [Theory]
    [MemberData(nameof(Objectives))]
    public void The_objective_gradient_matches_central_differences(TrainingLoss loss, Parameterization parameterization, bool options)
    {
        var (x, y) = Synthetic(300, 6, 5, seed: 2);
        var random = new Random(3);
        var sampleWeights = Enumerable.Range(0, 300).Select(_ => random.NextDouble() * 2).ToArray();
        var trainingOptions = new TrainingOptions
        {
            Loss = loss, Parameterization = parameterization, L2 = 0.05,
            ClassWeights = options ? [1, 2, 0.5, 1, 3] : null, LabelSmoothing = options ? 0.1 : 0,
        };
        var layer = new SoftmaxLayer(6, 5, parameterization);
        var objective = new SoftmaxObjective(SparseMatrix.FromDense(x), y, null, sampleWeights, layer, trainingOptions);
        var theta = Enumerable.Range(0, objective.ParameterCount).Select(_ => random.NextDouble() - 0.5).ToArray();
        var gradient = new double[theta.Length];
        objective.Evaluate(theta, gradient);
        var scratch = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            // The pass runs in float32, so the step is large enough that its rounding (1e-7) stays below 1e-5 of the slope.
            double numeric = Reference.Derivative(t => objective.Evaluate(t, scratch), theta, i, step: 1e-2);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 2e-4 * Math.Max(1, Math.Abs(numeric)) + 2e-4,
                $"parameter {i}: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void With_one_hot_inputs_and_no_penalty_the_model_predicts_the_observed_class_frequencies()
    {
        // The seed: with enough capacity and no penalty, maximum likelihood gives each input value the class
        // frequencies observed with it.
        var (x, y, observed) = Multinoulli.Cli.Explain.Experiments.FrequencyData();
        int values = 4, classes = 3;
        foreach (var parameterization in new[] { Parameterization.Full, Parameterization.Reference })
        {
            var result = new LbfgsTrainer(new TrainingOptions { Parameterization = parameterization, GradientTolerance = 1e-7 })
                .Fit(x, y);
            var p = new float[values * classes];
            var oneHot = new float[values * values];
            for (int v = 0; v < values; v++) oneHot[v * values + v] = 1;
            result.Layer.Probabilities(oneHot, p);
            for (int v = 0; v < values; v++)
                for (int c = 0; c < classes; c++)
                    Assert.True(Math.Abs(p[v * classes + c] - observed[v, c]) < 1e-4,
                        $"{parameterization}, value {v}, class {c}: {p[v * classes + c]} vs frequency {observed[v, c]} ({result.StopReason})");
        }
    }

    [Fact]
    public void Full_and_reference_parameterizations_reach_the_same_optimum()
    {
        var (x, y) = Synthetic(2000, 8, 4, seed: 5);
        var options = new TrainingOptions { GradientTolerance = 1e-7 };
        var full = new LbfgsTrainer(options).Fit(x, y);
        var reference = new LbfgsTrainer(options with { Parameterization = Parameterization.Reference, ReferenceClass = 0 }).Fit(x, y);
        Assert.Equal(full.Objective, reference.Objective, 6);
        var pf = new float[x.Rows * 4];
        var pr = new float[x.Rows * 4];
        full.Layer.Probabilities(x.Values, pf);
        reference.Layer.Probabilities(x.Values, pr);
        Assert.True(pf.Zip(pr).Max(t => Math.Abs(t.First - t.Second)) < 1e-3, "probabilities differ");
        Assert.Equal(4 * 9, full.Layer.ParameterCount);
        Assert.Equal(3 * 9, reference.Layer.ParameterCount);
        Assert.All(Enumerable.Range(0, 8), f => Assert.Equal(0f, reference.Layer.Weight(f, 0)));
    }

    [Fact]
    public void From_confidently_wrong_logits_squared_error_stalls_where_log_likelihood_learns()
    {
        // The seed: −log softmax undoes the exp, so its gradient stays near 1 when the model is confidently wrong;
        // the squared error's gradient vanishes with the saturated probabilities.
        float[] wrong = [-12f, 12f];
        var nll = new float[2];
        var se = new float[2];
        CrossEntropy.LossAndGradient(wrong, 2, [0], nll);
        SquaredError.LossAndGradient(wrong, 2, [0], se);
        Assert.True(Math.Abs(nll[0]) > 0.99, $"log-likelihood gradient {nll[0]}");
        Assert.True(Math.Abs(se[0]) < 1e-9, $"squared-error gradient {se[0]}");

        // A one-feature problem whose truth is "class 0", started from a model that is confidently wrong.
        var x = new DenseMatrix(100, 1, Enumerable.Repeat(1f, 100).ToArray());
        var y = new int[100];
        var start = new SoftmaxLayer(1, 2);
        start.SetParameters([-12f, 12f], [0f, 0f]);
        var options = new TrainingOptions { MaxIterations = 20 };
        var likelihood = new LbfgsTrainer(options).Fit(x, y, initial: start);
        var squared = new LbfgsTrainer(options with { Loss = TrainingLoss.SquaredError }).Fit(x, y, initial: start);
        var p = new float[2];
        likelihood.Layer.Probabilities([1f], p);
        Assert.True(p[0] > 0.99, $"log-likelihood after 20 iterations: P(class 0) = {p[0]}");
        squared.Layer.Probabilities([1f], p);
        Assert.True(p[0] < 1e-6, $"squared error after 20 iterations: P(class 0) = {p[0]} ({squared.StopReason})");
    }

    [Fact]
    public void One_hot_soft_targets_train_the_same_model_as_labels_and_soft_targets_are_matched_in_expectation()
    {
        var (x, y) = Synthetic(800, 5, 3, seed: 11);
        var oneHot = new float[800 * 3];
        for (int r = 0; r < 800; r++) oneHot[r * 3 + y[r]] = 1;
        var options = new TrainingOptions { L2 = 1e-2, GradientTolerance = 1e-7 };
        var fromLabels = new LbfgsTrainer(options).Fit(x, y);
        var fromTargets = new LbfgsTrainer(options).Fit(x, oneHot, classes: 3);
        Assert.Equal(fromLabels.Objective, fromTargets.Objective, 6);

        // A constant input with soft targets (0.2, 0.3, 0.5) on every row: maximum likelihood predicts them.
        var constant = new DenseMatrix(50, 1, Enumerable.Repeat(1f, 50).ToArray());
        var soft = Enumerable.Range(0, 50).SelectMany(_ => new[] { 0.2f, 0.3f, 0.5f }).ToArray();
        var fit = new LbfgsTrainer(new TrainingOptions { GradientTolerance = 1e-8 }).Fit(constant, soft, classes: 3);
        var p = new float[3];
        fit.Layer.Probabilities([1f], p);
        Assert.Equal([0.2f, 0.3f, 0.5f], p.Select(v => MathF.Round(v, 4)));

        var negative = (float[])soft.Clone();
        negative[7] = -0.1f;
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new LbfgsTrainer().Fit(constant, negative, 3)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new LbfgsTrainer().Fit(constant, soft.AsSpan(3), 3)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new LbfgsTrainer(new TrainingOptions { Loss = TrainingLoss.SquaredError }).Fit(constant, soft, 3)).ParamName);
    }

    [Fact]
    public void Sparse_and_dense_rows_give_the_same_model_and_predictions()
    {
        var (x, y) = Synthetic(600, 7, 3, seed: 10);
        var sparse = SparseMatrix.FromDense(x);
        var dense = new LbfgsTrainer(new TrainingOptions { L2 = 1e-3 }).Fit(x, y);
        var fromSparse = new LbfgsTrainer(new TrainingOptions { L2 = 1e-3 }).Fit(sparse, y);
        Assert.Equal(dense.Objective, fromSparse.Objective);
        var (a, b) = (new float[600 * 3], new float[600 * 3]);
        dense.Layer.LogProbabilities(x.Values, a);
        dense.Layer.LogProbabilities(sparse, b);
        // A dense row goes through the same kernel as its sparse form: the same logits, bit for bit.
        Assert.Equal(a, b);
        var (labelsDense, labelsSparse) = (new int[600], new int[600]);
        dense.Layer.Predict(x.Values, labelsDense);
        dense.Layer.Predict(sparse, labelsSparse);
        Assert.Equal(labelsDense, labelsSparse);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => dense.Layer.Predict(SparseMatrix.FromDense(new DenseMatrix(1, 3, new float[3])), new int[1])).ParamName);
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var (x, y) = Synthetic(9000, 10, 3, seed: 7);
        var one = new LbfgsTrainer(new TrainingOptions { L2 = 1e-3, MaxIterations = 30, MaxDegreeOfParallelism = 1 }).Fit(x, y);
        var all = new LbfgsTrainer(new TrainingOptions { L2 = 1e-3, MaxIterations = 30, MaxDegreeOfParallelism = -1 }).Fit(x, y);
        Assert.Equal(one.Objective, all.Objective);
        for (int f = 0; f < 10; f++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(one.Layer.Weight(f, c), all.Layer.Weight(f, c));
    }

    [Fact]
    public void Progress_is_reported_and_cancellation_keeps_the_best_parameters()
    {
        var (x, y) = Synthetic(500, 5, 3, seed: 8);
        var reports = new List<TrainingProgress>();
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            reports.Add(p);
            if (p.Iteration == 5) cancellation.Cancel();
        });
        var result = new LbfgsTrainer().Fit(x, y, progress: progress, cancellationToken: cancellation.Token);
        Assert.Equal(StopReason.Cancelled, result.StopReason);
        Assert.Equal(5, result.Iterations);
        Assert.Equal(Enumerable.Range(1, 5), reports.Select(r => r.Iteration));
        Assert.True(reports.Zip(reports.Skip(1)).All(t => t.Second.Objective <= t.First.Objective), "the objective never rises");
        Assert.Equal(reports[^1].Objective, result.Objective);
    }

    [Fact]
    public void An_interrupted_LBFGS_run_resumes_from_its_checkpoint_to_the_same_result()
    {
        var (x, y) = Synthetic(3000, 12, 4, seed: 12);
        var options = new TrainingOptions { L2 = 1e-3, MaxIterations = 40, History = 5 };
        var uninterrupted = new LbfgsTrainer(options).Fit(x, y);
        string directory = Directory.CreateTempSubdirectory("multinoulli-lbfgs-").FullName;
        try
        {
            string path = Path.Combine(directory, "run.checkpoint");
            var checkpointed = options with { CheckpointPath = path, CheckpointInterval = TimeSpan.Zero };
            using var cancellation = new CancellationTokenSource();
            var interrupted = new LbfgsTrainer(checkpointed).Fit(x, y,
                progress: new SynchronousProgress(p => { if (p.Iteration == 17) cancellation.Cancel(); }), cancellationToken: cancellation.Token);
            Assert.Equal((StopReason.Cancelled, 17), (interrupted.StopReason, interrupted.Iterations));
            var resumed = new LbfgsTrainer(checkpointed).Fit(x, y);
            Assert.Equal((uninterrupted.StopReason, uninterrupted.Iterations, uninterrupted.Evaluations), (resumed.StopReason, resumed.Iterations, resumed.Evaluations));
            Assert.Equal(uninterrupted.Objective, resumed.Objective);
            for (int f = 0; f < 12; f++)
                for (int c = 0; c < 4; c++)
                    Assert.Equal(uninterrupted.Layer.Weight(f, c), resumed.Layer.Weight(f, c));

            var otherLabels = (int[])y.Clone();
            otherLabels[0] = (otherLabels[0] + 1) % 4;
            Assert.Contains("another problem", Assert.Throws<ArgumentException>(() => new LbfgsTrainer(checkpointed).Fit(x, otherLabels)).Message);
            var bytes = File.ReadAllBytes(path);
            bytes[60] ^= 4;
            File.WriteAllBytes(path, bytes);
            Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => new LbfgsTrainer(checkpointed).Fit(x, y)).Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void Bad_training_input_is_refused_naming_the_argument()
    {
        var (x, y) = Synthetic(20, 3, 3, seed: 9);
        var trainer = new LbfgsTrainer();
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => trainer.Fit(x, y.AsSpan(1))).ParamName);
        var bad = (int[])y.Clone();
        bad[4] = 7;
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(x, bad, classes: 3));
        Assert.Equal("labels", outside.ParamName);
        Assert.Contains("Row 4", outside.Message);
        var weights = Enumerable.Repeat(1.0, 20).ToArray();
        weights[3] = -1;
        Assert.Equal("sampleWeights", Assert.Throws<ArgumentException>(() => trainer.Fit(x, y, sampleWeights: weights)).ParamName);
        Assert.Equal("ClassWeights", Assert.Throws<ArgumentException>(() => new LbfgsTrainer(new TrainingOptions { ClassWeights = [1, 2] }).Fit(x, y, classes: 3)).ParamName);
        Assert.Equal("initial", Assert.Throws<ArgumentException>(() => trainer.Fit(x, y, classes: 3, initial: new SoftmaxLayer(4, 3))).ParamName);
        Assert.Equal("L2", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { L2 = -1 }).ParamName);
        Assert.Equal("History", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { History = 0 }).ParamName);
        Assert.Equal("referenceClass", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxLayer(3, 3, Parameterization.Reference, 3)).ParamName);
        var layer = new SoftmaxLayer(2, 3, Parameterization.Reference);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => layer.SetParameters([0, 0, 1, 0, 0, 0], [0, 0, 0])).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => layer.Logits(new float[3], new float[3])).ParamName);
    }
}

/// <summary>The IDX reader on MNIST's own files and on broken copies.</summary>
public class IdxFileTests
{
    private static readonly string Mnist = Path.Combine(FindShared(), "data", "mnist");

    internal static string FindShared()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(candidate, "data"))) return Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException("../shared/data was not found above the test directory.");
    }

    [Fact]
    public void Reads_the_mnist_test_set()
    {
        var labels = IdxFile.ReadLabels(Path.Combine(Mnist, "t10k-labels-idx1-ubyte.gz"));
        var images = IdxFile.ReadImages(Path.Combine(Mnist, "t10k-images-idx3-ubyte.gz"));
        Assert.Equal(10_000, labels.Length);
        Assert.Equal((10_000, 784), (images.Rows, images.Columns));
        Assert.Equal(Enumerable.Range(0, 10), labels.Distinct().Order());
        Assert.InRange(images.Values.Max(), 0.99f, 1f);
        Assert.Equal(0f, images.Values.Min());
        // MNIST's first test image is a 7.
        Assert.Equal(7, labels[0]);
    }

    [Fact]
    public void Truncated_uncompressed_and_foreign_files_are_reported_with_the_file_and_reason()
    {
        string directory = Directory.CreateTempSubdirectory("multinoulli-idx-").FullName;
        try
        {
            byte[] raw;
            using (var gzip = new GZipStream(File.OpenRead(Path.Combine(Mnist, "t10k-labels-idx1-ubyte.gz")), CompressionMode.Decompress))
            using (var memory = new MemoryStream())
            {
                gzip.CopyTo(memory);
                raw = memory.ToArray();
            }
            string plain = Path.Combine(directory, "labels");
            File.WriteAllBytes(plain, raw);
            Assert.Equal(IdxFile.ReadLabels(Path.Combine(Mnist, "t10k-labels-idx1-ubyte.gz")), IdxFile.ReadLabels(plain));

            string truncated = Path.Combine(directory, "truncated");
            File.WriteAllBytes(truncated, raw[..5000]);
            var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(truncated));
            Assert.Contains(truncated, error.Message);
            Assert.Contains("truncated", error.Message);

            string damaged = Path.Combine(directory, "damaged.gz");
            var gz = File.ReadAllBytes(Path.Combine(Mnist, "t10k-labels-idx1-ubyte.gz"));
            for (int i = 100; i < 200; i++) gz[i] ^= 0x5A;
            File.WriteAllBytes(damaged, gz);
            var corrupt = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(damaged));
            Assert.Contains(damaged, corrupt.Message);

            string foreign = Path.Combine(directory, "foreign");
            File.WriteAllText(foreign, "label,pixel0\n1,0\n");
            Assert.Contains("not an IDX file", Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(foreign)).Message);
            Assert.Contains("dimensions", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(plain)).Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
