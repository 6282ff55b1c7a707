namespace Multinoulli.Tests;

/// <summary>The README's library example, as written there, must compile and run.</summary>
public class ReadmeTests
{
    [Fact]
    public void The_library_example_runs()
    {
        // From README.md, "The library".
        float[] logits = [2f, 1f, 0.1f];
        var p = new float[3];
        Softmax.Probabilities(logits, p);
        Assert.Equal([0.659f, 0.242f, 0.099f], p.Select(v => MathF.Round(v, 3)));
        Softmax.LogProbabilities(logits, p);
        float normalizer = Softmax.LogSumExp(logits);
        float smoothMax = Softmax.SmoothMax(logits);
        Assert.InRange(normalizer, 2f, 2f + MathF.Log(3));
        Assert.InRange(smoothMax, logits.Average(), 2f);

        float[] batch = new float[64 * 10];
        Softmax.Probabilities(batch, classes: 10, batch);
        Assert.All(batch, v => Assert.Equal(0.1f, v, 6));
        var perRow = new float[64];
        Softmax.LogSumExp(batch, 10, perRow);

        var options = new SoftmaxOptions { Temperature = 0.7, Masked = true, MaxDegreeOfParallelism = 2 };
        Softmax.Probabilities(batch, 10, batch, options);

        Softmax.ProbabilitiesBackward(probabilities: p, outputGradient: p, classes: 3, destination: p);

        int[] labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        double loss = CrossEntropy.LossAndGradient(batch, 10, labels, batch, new CrossEntropyOptions
        {
            Reduction = Reduction.Mean,
            ClassWeights = null,
            IgnoreLabel = -100,
            LabelSmoothing = 0.1,
        });
        Assert.Equal(Math.Log(10), loss, 5);
        double soft = CrossEntropy.Loss(batch, 10, targets: new float[64 * 10]);
        Assert.Equal(0, soft);

        double squared = SquaredError.LossAndGradient(batch, 10, labels, batch);
        Assert.True(squared > 0);

        double s = Sigmoid.Probability(-1000.0), logS = Sigmoid.LogProbability(-1000.0), sp = Sigmoid.Softplus(40.0);
        Assert.Equal((0.0, -1000.0), (s, logS));
        Assert.Equal(40.0, sp, 12);
    }
    [Fact]
    public void The_distribution_example_runs()
    {
        // From README.md, "The distribution, and drawing from it".
        var d = Categorical.FromLogits([2.0, 1.0, double.NegativeInfinity], temperature: 1);
        double p0 = d.Probability(0), logP2 = d.LogProbability(2);
        Assert.Equal(1 / (1 + Math.Exp(-1)), p0, 15);
        Assert.Equal(double.NegativeInfinity, logP2);
        double h = d.Entropy;
        int mode = d.Mode;
        Assert.InRange(h, 0, Math.Log(2));
        Assert.Equal(0, mode);
        var q = Categorical.FromProbabilities([0.5, 0.25, 0.25]);
        double kl = Categorical.KullbackLeibler(d, q), ce = Categorical.CrossEntropy(d, q);
        Assert.Equal(ce, h + kl, 12);

        var random = new Random(42);
        int one = d.Sample(random);
        var many = new int[1_000_000];
        d.Sample(random, many);
        Assert.DoesNotContain(2, many);
        Assert.Equal(p0, many.Count(c => c == 0) / 1e6, 2);
        int fromLogits = Sampling.GumbelMax([2f, 1f, 0f], random);
        var noReplacement = new int[2];
        Sampling.GumbelTopK([2f, 1f, 0f], random, noReplacement);
        Assert.NotEqual(noReplacement[0], noReplacement[1]);
        var relaxed = new float[3];
        Sampling.GumbelSoftmax([2f, 1f, 0f], 0.5, random, relaxed);
        Assert.Equal(1f, relaxed.Sum(), 5);
        float[] batch = new float[64 * 10];
        var rowDraws = new int[64];
        Sampling.SampleRows(batch, 10, seed: 7, rowDraws);
        Assert.All(rowDraws, r => Assert.InRange(r, 0, 9));

        var sampler = new DecodingSampler(SamplingStep.Temperature(0.8), SamplingStep.TopK(50),
                                          SamplingStep.TopP(0.9), SamplingStep.MinP(0.05));
        float[] vocabulary = new float[128_000];
        int token = sampler.Sample(vocabulary, random);
        // All logits equal: top-k keeps the 50 lowest indices (ties go to the lower index).
        Assert.InRange(token, 0, 49);
        Assert.InRange(one, 0, 1);
        Assert.InRange(fromLogits, 0, 2);

        var b = Bernoulli.FromLogit(-3);
        Assert.Equal(b.Probability, b.ToCategorical().Probability(1), 15);
    }
    [Fact]
    public void The_training_example_runs()
    {
        // From README.md, "Training the softmax unit", with the shared data folder found from here and the files
        // written to a temporary folder.
        string mnist = Path.Combine(IdxFileTests.FindShared(), "data", "mnist");
        string directory = Directory.CreateTempSubdirectory("multinoulli-readme-").FullName;
        try
        {
            var x = IdxFile.ReadImages(Path.Combine(mnist, "train-images-idx3-ubyte.gz"));
            int[] y = IdxFile.ReadLabels(Path.Combine(mnist, "train-labels-idx1-ubyte.gz"));
            TrainingResult fit = new LbfgsTrainer(new TrainingOptions { L2 = 1e-4 }).Fit(x, y);
            SoftmaxLayer model = fit.Layer;
            fit.Layer.Save(Path.Combine(directory, "mnist.model"));
            var loaded = SoftmaxLayer.Load(Path.Combine(directory, "mnist.model"));
            var test = IdxFile.ReadImages(Path.Combine(mnist, "t10k-images-idx3-ubyte.gz"));
            int[] testLabels = IdxFile.ReadLabels(Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz"));
            ClassificationReport report = Metrics.Evaluate(loaded, test, testLabels);
            Assert.InRange(report.Accuracy, 0.925, 0.93);
            Assert.True(Math.Abs(fit.Objective - 0.259248295) / 0.259248295 < 1e-6, $"objective {fit.Objective}");

            var adam = new MiniBatchTrainer(new TrainingOptions { L2 = 1e-4 },
                new MiniBatchOptions { Epochs = 10, BatchSize = 128, Patience = 3, CheckpointPath = Path.Combine(directory, "mnist.checkpoint") });
            TrainingResult streamed = adam.Fit(
                IdxFile.Open(Path.Combine(mnist, "train-images-idx3-ubyte.gz"), Path.Combine(mnist, "train-labels-idx1-ubyte.gz")),
                classes: 10, validation: new InMemoryDataSource(test, testLabels));
            Assert.True(Metrics.Evaluate(streamed.Layer, test, testLabels).Accuracy >= 0.92);

            var (digits, digitLabels) = CsvFile.Read(Path.Combine(IdxFileTests.FindShared(), "data", "digits", "digits.csv.gz"));
            var reference = new LbfgsTrainer(new TrainingOptions { Parameterization = Parameterization.Reference }).Fit(digits, digitLabels);
            Assert.Equal(9 * 65, reference.Layer.ParameterCount);

            var logits = new float[test.Rows * 10];
            model.Logits(test.Values, logits);
            double temperature = Metrics.FitTemperature(logits, 10, testLabels);
            Assert.InRange(temperature, 0.5, 2);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
