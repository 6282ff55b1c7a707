namespace Multinoulli.Tests;

/// <summary>Adam and SGD streaming from a data source: they learn, repeat for a seed, resume exactly, stop early.</summary>
public class MiniBatchTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("multinoulli-minibatch-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (DenseMatrix X, int[] Y) Data(int rows, int seed, bool randomLabels = false)
    {
        var random = new Random(seed);
        int features = 8, classes = 3;
        var truth = Enumerable.Range(0, features * classes).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var x = new float[rows * features];
        var y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++) x[r * features + f] = random.Next(4) == 0 ? 0 : (float)(random.NextDouble() * 2 - 1);
            var scores = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, features).Sum(f => x[r * features + f] * truth[f * classes + c])).ToArray();
            y[r] = randomLabels ? random.Next(classes) : Array.IndexOf(scores, scores.Max());
        }
        return (new DenseMatrix(rows, features, x), y);
    }

    private static float[] Parameters(SoftmaxLayer layer)
    {
        var w = new float[layer.Features * layer.Classes];
        var b = new float[layer.Classes];
        layer.CopyParametersTo(w, b);
        return [.. w, .. b];
    }

    [Theory]
    [InlineData(Optimizer.Adam, 0.01)]
    [InlineData(Optimizer.SgdMomentum, 0.1)]
    public void Streaming_mini_batches_approach_the_full_batch_optimum(Optimizer optimizer, double rate)
    {
        var (x, y) = Data(3000, 1);
        var objective = new TrainingOptions { L2 = 1e-2 };
        var optimum = new LbfgsTrainer(objective).Fit(x, y);
        var result = new MiniBatchTrainer(objective, new MiniBatchOptions { Optimizer = optimizer, LearningRate = rate, Epochs = 30, BatchSize = 64 })
            .Fit(new InMemoryDataSource(x, y, blockRows: 700), 3);
        Assert.Equal(StopReason.Epochs, result.StopReason);
        Assert.Equal(30 * (4 * 11 + 4), result.Iterations); // blocks of 700 (11 batches of up to 64 rows) and a last one of 200 (4)
        // The full-batch objective at the mini-batch parameters is within 2 % of the optimum.
        var check = new LbfgsTrainer(objective with { MaxIterations = 1 }).Fit(x, y, initial: result.Layer);
        Assert.InRange(check.Objective, optimum.Objective, optimum.Objective * 1.02);
    }

    [Fact]
    public void A_seed_repeats_the_run_and_another_seed_does_not()
    {
        var (x, y) = Data(1000, 2);
        TrainingResult Run(int seed) => new MiniBatchTrainer(null, new MiniBatchOptions { Seed = seed, Epochs = 2, BatchSize = 32 })
            .Fit(new InMemoryDataSource(x, y, blockRows: 300), 3);
        Assert.Equal(Parameters(Run(5).Layer), Parameters(Run(5).Layer));
        Assert.NotEqual(Parameters(Run(5).Layer), Parameters(Run(6).Layer));
    }

    /// <summary>A source that cancels a token once it has handed out a given number of blocks.</summary>
    private sealed class InterruptingSource(IDataSource inner, CancellationTokenSource cancellation, int blocksBeforeCancel) : IDataSource
    {
        private int _served;

        public int Features => inner.Features;

        public IEnumerable<DataBlock> Blocks()
        {
            foreach (var block in inner.Blocks())
            {
                if (_served++ == blocksBeforeCancel) cancellation.Cancel();
                yield return block;
            }
        }
    }

    [Fact]
    public void An_interrupted_run_resumes_from_its_checkpoint_to_the_same_parameters()
    {
        var (x, y) = Data(2000, 3);
        var source = new InMemoryDataSource(x, y, blockRows: 400);
        var (vx, vy) = Data(300, 4);
        var validation = new InMemoryDataSource(vx, vy);
        var options = new MiniBatchOptions { Epochs = 3, BatchSize = 50, Seed = 11, Patience = 0 };
        var uninterrupted = new MiniBatchTrainer(null, options).Fit(source, 3, validation);

        string checkpoint = Path.Combine(_directory, "run.checkpoint");
        using var cancellation = new CancellationTokenSource();
        var interrupted = new MiniBatchTrainer(null, options with { CheckpointPath = checkpoint })
            .Fit(new InterruptingSource(source, cancellation, blocksBeforeCancel: 7), 3, validation, cancellationToken: cancellation.Token);
        Assert.Equal(StopReason.Cancelled, interrupted.StopReason);
        Assert.True(File.Exists(checkpoint));
        var resumed = new MiniBatchTrainer(null, options with { CheckpointPath = checkpoint }).Fit(source, 3, validation);
        Assert.Equal(StopReason.Epochs, resumed.StopReason);
        Assert.Equal(uninterrupted.Iterations, resumed.Iterations);
        Assert.Equal(Parameters(uninterrupted.Layer), Parameters(resumed.Layer));

        var other = Assert.Throws<ArgumentException>(() => new MiniBatchTrainer(null, options with { CheckpointPath = checkpoint, Seed = 12 }).Fit(source, 3));
        Assert.Contains("another optimizer, batch size, seed", other.Message);
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[100] ^= 1;
        File.WriteAllBytes(checkpoint, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => new MiniBatchTrainer(null, options with { CheckpointPath = checkpoint }).Fit(source, 3)).Message);
    }

    [Fact]
    public void Early_stopping_keeps_the_epoch_with_the_lowest_validation_log_loss()
    {
        // Labels that are noise: fitting them can only make held-out predictions worse after the first epochs.
        var (x, y) = Data(200, 5, randomLabels: true);
        var (vx, vy) = Data(500, 6, randomLabels: true);
        var validation = new InMemoryDataSource(vx, vy);
        var reports = new List<TrainingProgress>();
        var result = new MiniBatchTrainer(null, new MiniBatchOptions { LearningRate = 0.05, Epochs = 50, Patience = 2, BatchSize = 16 })
            .Fit(new InMemoryDataSource(x, y), 3, validation, new Recorder(reports));
        Assert.Equal(StopReason.EarlyStopping, result.StopReason);
        Assert.True(reports.Count < 50);
        double best = reports.Min(r => r.Validation!.LogLoss);
        Assert.Equal(best, Metrics.Evaluate(result.Layer, vx, vy).LogLoss, 6);
        Assert.All(reports.TakeLast(2), r => Assert.True(r.Validation!.LogLoss >= best));
    }

    private sealed class Recorder(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }

    [Fact]
    public void A_weighted_batch_has_the_full_batch_objective_and_gradient()
    {
        var (x, y) = Data(200, 8);
        var random = new Random(9);
        var weights = Enumerable.Range(0, 200).Select(_ => random.NextDouble() * 3).ToArray();
        var layer = new SoftmaxLayer(8, 3);
        var w = Enumerable.Range(0, 24).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        layer.SetParameters(w, [0.1f, -0.2f, 0.3f]);
        var options = new TrainingOptions { LabelSmoothing = 0.05 };
        var sparse = SparseMatrix.FromDense(x);
        var block = new DataBlock(sparse, y, weights);
        var batchGradient = new float[layer.MutableWeights.Length + layer.Stride];
        double batchLoss = new Multinoulli.Learning.BatchGradient(layer, options).Compute(block, Enumerable.Range(0, 200).ToArray(), batchGradient);
        var objective = new Multinoulli.Learning.SoftmaxObjective(sparse, y, null, weights, layer, options);
        var theta = new double[objective.ParameterCount];
        layer.CopyLearnedTo(theta);
        var gradient = new double[theta.Length];
        Assert.Equal(objective.Evaluate(theta, gradient), batchLoss, 5);
        for (int f = 0; f <= 8; f++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(gradient[f * 3 + c], batchGradient[f * layer.Stride + c], 5);
    }

    [Fact]
    public void Scaling_every_sample_weight_changes_nothing()
    {
        var (x, y) = Data(500, 10);
        TrainingResult Run(double weight) => new MiniBatchTrainer(null, new MiniBatchOptions { Epochs = 2, BatchSize = 40 })
            .Fit(new InMemoryDataSource(x, y, 200, Enumerable.Repeat(weight, 500).ToArray()), 3);
        Assert.Equal(Parameters(Run(1).Layer), Parameters(Run(4).Layer));
        Assert.Equal("sampleWeights", Assert.Throws<ArgumentException>(() => new InMemoryDataSource(x, y, 200, new double[3])).ParamName);
    }

    [Fact]
    public void Bad_mini_batch_settings_are_refused()
    {
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatchOptions { LearningRate = 0 }).ParamName);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatchOptions { BatchSize = 0 }).ParamName);
        Assert.Equal("Momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatchOptions { Momentum = 1 }).ParamName);
        var (x, y) = Data(50, 7);
        y[10] = 5;
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatchTrainer().Fit(new InMemoryDataSource(x, y), 3)).ParamName);
    }
}
