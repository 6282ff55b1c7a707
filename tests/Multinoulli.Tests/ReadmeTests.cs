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
}
