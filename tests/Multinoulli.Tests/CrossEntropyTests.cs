namespace Multinoulli.Tests;

/// <summary>What the loss means: the seed's claims and the options' documented behaviour.</summary>
public class CrossEntropyTests
{
    [Fact]
    public void The_loss_is_minus_log_probability_of_the_label_and_does_not_saturate_when_confidently_wrong()
    {
        float[] z = [0f, 1000f, -5f];
        var gradient = new float[3];
        double loss = CrossEntropy.LossAndGradient(z, 3, [0], gradient);
        Assert.Equal(1000.0, loss, 4);
        Assert.Equal(-1f, gradient[0], 6); // the wrong-but-confident case still pulls with full force
        Assert.Equal(1f, gradient[1], 6);
        var squared = new float[3];
        SquaredError.LossAndGradient(z, 3, [0], squared);
        Assert.True(Math.Abs(squared[0]) < 1e-30, $"squared error gradient {squared[0]} should have vanished");
    }

    [Fact]
    public void Mean_sum_and_per_row_losses_agree()
    {
        float[] z = [1, 2, 3, 3, 2, 1, 0, 0, 0];
        int[] labels = [2, 0, 1];
        var rows = new float[3];
        CrossEntropy.RowLosses(z, 3, labels, rows);
        double sum = CrossEntropy.Loss(z, 3, labels, new CrossEntropyOptions { Reduction = Reduction.Sum });
        double mean = CrossEntropy.Loss(z, 3, labels);
        Assert.Equal(rows.Sum(v => (double)v), sum, 5);
        Assert.Equal(sum / 3, mean, 6);
        Assert.Equal(Math.Log(3), rows[2], 6);
    }

    [Fact]
    public void Ignored_rows_add_nothing_and_get_zero_gradient()
    {
        float[] z = [1, 2, 3, 9, 9, 9];
        var gradient = new float[6];
        var options = new CrossEntropyOptions { IgnoreLabel = -100 };
        double loss = CrossEntropy.LossAndGradient(z, 3, [0, -100], gradient, options);
        Assert.Equal(CrossEntropy.Loss(z[..3], 3, [0]), loss, 9);
        Assert.Equal([0f, 0f, 0f], gradient[3..]);
        Assert.Equal(0, CrossEntropy.LossAndGradient(z, 3, [-100, -100], gradient, options));
        Assert.All(gradient, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Class_weights_scale_each_row_and_the_mean_divides_by_their_total()
    {
        double[] z = [1, 2, 0, 0];
        var weights = new CrossEntropyOptions { ClassWeights = [2, 0.5] };
        var rows = new double[2];
        CrossEntropy.RowLosses(z, 2, [0, 1], rows);
        double weighted = CrossEntropy.Loss(z, 2, [0, 1], weights);
        Assert.Equal((2 * rows[0] + 0.5 * rows[1]) / 2.5, weighted, 12);
    }

    [Fact]
    public void Label_smoothing_equals_the_soft_target_it_describes()
    {
        double[] z = [0.5, -1, 2, 0.1];
        const double epsilon = 0.2;
        double smoothed = CrossEntropy.Loss(z, 4, [2], new CrossEntropyOptions { LabelSmoothing = epsilon });
        double[] target = [epsilon / 4, epsilon / 4, 1 - epsilon + epsilon / 4, epsilon / 4];
        Assert.Equal(CrossEntropy.Loss(z, 4, target), smoothed, 12);
    }

    [Fact]
    public void A_fully_masked_row_gives_zero_loss_and_zero_gradient_when_masked_and_NaN_otherwise()
    {
        float ni = float.NegativeInfinity;
        float[] z = [ni, ni, ni, 1, 2, 3];
        var gradient = new float[6];
        double loss = CrossEntropy.LossAndGradient(z, 3, [0, 2], gradient, new CrossEntropyOptions { Masked = true, Reduction = Reduction.Sum });
        Assert.Equal(CrossEntropy.Loss(z[3..], 3, [2]), loss, 6);
        Assert.Equal([0f, 0f, 0f], gradient[..3]);
        double unmasked = CrossEntropy.LossAndGradient(z, 3, [0, 2], gradient);
        Assert.True(double.IsNaN(unmasked));
        Assert.All(gradient[..3], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void A_label_on_a_negative_infinity_logit_costs_infinity_with_a_finite_gradient()
    {
        double[] z = [double.NegativeInfinity, 1, 2];
        var gradient = new double[3];
        double loss = CrossEntropy.LossAndGradient(z, 3, [0], gradient);
        Assert.Equal(double.PositiveInfinity, loss);
        Assert.Equal(-1, gradient[0]);
        Assert.All(gradient, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Positive_infinity_logits_give_the_limit_loss()
    {
        double inf = double.PositiveInfinity;
        Assert.Equal(Math.Log(2), CrossEntropy.Loss([inf, inf, 0], 3, [0]), 12);
        Assert.Equal(double.PositiveInfinity, CrossEntropy.Loss([inf, inf, 0], 3, [2]));
    }

    [Fact]
    public void The_reduced_loss_does_not_depend_on_the_thread_count()
    {
        var random = new Random(11);
        int rows = 2000, classes = 300;
        var z = Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() * 10)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
        double many = CrossEntropy.Loss(z, classes, labels);
        double one = CrossEntropy.Loss(z, classes, labels, new CrossEntropyOptions { MaxDegreeOfParallelism = 1 });
        Assert.Equal(one, many);
    }
}

public class MaskingTests
{
    private const float NegativeInfinity = float.NegativeInfinity;

    [Fact]
    public void Backward_passes_give_a_fully_masked_row_a_zero_gradient()
    {
        float[] z = [NegativeInfinity, NegativeInfinity, NegativeInfinity, 1, 2, 3];
        var masked = new SoftmaxOptions { Masked = true };
        var y = new float[6];
        Softmax.LogProbabilities(z, 3, y, masked);
        float[] upstream = [1, -2, 3, 0.5f, 0.25f, -1];
        var dz = new float[6];
        Softmax.LogProbabilitiesBackward(y, upstream, 3, dz, masked);
        Assert.Equal([0f, 0f, 0f], dz[..3]);
        Assert.All(dz[3..], v => Assert.True(float.IsFinite(v) && v != 0));

        var p = new float[6];
        Softmax.Probabilities(z, 3, p, masked);
        Softmax.ProbabilitiesBackward(p, upstream, 3, dz, masked);
        Assert.Equal([0f, 0f, 0f], dz[..3]);
    }

    [Fact]
    public void Masked_label_smoothing_spreads_over_the_unmasked_classes_only()
    {
        double[] z = [0.3, double.NegativeInfinity, 1.2, -0.4];
        const double epsilon = 0.3;
        var options = new CrossEntropyOptions { LabelSmoothing = epsilon, Masked = true };
        double smoothed = CrossEntropy.Loss(z, 4, [2], options);
        double[] target = [epsilon / 3, 0, 1 - epsilon + epsilon / 3, epsilon / 3];
        Assert.Equal(CrossEntropy.Loss(z, 4, target), smoothed, 12);
        Assert.Equal(double.PositiveInfinity, CrossEntropy.Loss(z, 4, [2], options with { Masked = false }));
        var gradient = new double[4];
        CrossEntropy.LossAndGradient(z, 4, [2], gradient, options);
        Assert.Equal(0, gradient[1]);
        Assert.Equal(0, gradient.Sum(), 12);
    }

    /// <summary>
    /// What a call allocates does not grow with its rows: nothing per row, whatever the target (on one thread,
    /// where every allocation is the calling thread's). A closure for the split-row path, allocated on entry to
    /// the row's method, once cost 80 bytes a row of label smoothing or soft targets.
    /// </summary>
    [Fact]
    public void Nothing_is_allocated_per_row()
    {
        const int classes = 300;
        var random = new Random(5);
        var z = Enumerable.Range(0, 512 * classes).Select(_ => (float)(random.NextDouble() * 10)).ToArray();
        var soft = Enumerable.Range(0, z.Length).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, 512).Select(i => i % classes).ToArray();
        var output = new float[z.Length];
        var perRow = new float[512];
        var plain = new CrossEntropyOptions { MaxDegreeOfParallelism = 1 };
        var smoothed = plain with { LabelSmoothing = 0.1, Masked = true };
        var evenly = plain with { LabelSmoothing = 0.1 };
        var one = new SoftmaxOptions { MaxDegreeOfParallelism = 1 };
        var calls = new (string Name, Action<int> Call)[]
        {
            ("labels", rows => CrossEntropy.LossAndGradient(z.AsSpan(0, rows * classes), classes, labels.AsSpan(0, rows), output, plain)),
            ("smoothing", rows => CrossEntropy.LossAndGradient(z.AsSpan(0, rows * classes), classes, labels.AsSpan(0, rows), output, smoothed)),
            ("even smoothing", rows => CrossEntropy.LossAndGradient(z.AsSpan(0, rows * classes), classes, labels.AsSpan(0, rows), output, evenly)),
            ("soft targets", rows => CrossEntropy.LossAndGradient(z.AsSpan(0, rows * classes), classes, soft.AsSpan(0, rows * classes), output, plain)),
            ("soft loss", rows => CrossEntropy.Loss(z.AsSpan(0, rows * classes), classes, soft.AsSpan(0, rows * classes), plain)),
            ("softmax", rows => Softmax.Probabilities(z.AsSpan(0, rows * classes), classes, output, one)),
            ("smooth max", rows => Softmax.SmoothMax(z.AsSpan(0, rows * classes), classes, perRow, one)),
            ("backward", rows => Softmax.ProbabilitiesBackward(soft.AsSpan(0, rows * classes), z.AsSpan(0, rows * classes), classes, output, one)),
        };
        foreach (var (name, call) in calls)
        {
            long Allocated(int rows)
            {
                call(rows);
                long before = GC.GetAllocatedBytesForCurrentThread();
                call(rows);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
            Allocated(64);
            Allocated(512);
            long few = Allocated(64), many = Allocated(512);
            Assert.True(many <= few, $"{name}: {few} bytes for 64 rows, {many} for 512");
        }
    }
}
