namespace Multinoulli.Tests;

/// <summary>Bad input is refused with the parameter's name and the value, and nothing is written first.</summary>
public class ArgumentTests
{
    [Fact]
    public void Empty_input_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.Probabilities(ReadOnlySpan<float>.Empty, new float[1]));
        Assert.Equal("logits", e.ParamName);
        Assert.Throws<ArgumentException>(() => Softmax.LogSumExp(ReadOnlySpan<double>.Empty));
        Assert.Throws<ArgumentException>(() => Softmax.Probabilities(ReadOnlySpan<float>.Empty, 3, new float[3]));
    }

    [Fact]
    public void A_short_destination_is_refused_with_both_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.Probabilities(new float[5], new float[4]));
        Assert.Equal("destination", e.ParamName);
        Assert.Contains("4", e.Message);
        Assert.Contains("5", e.Message);
        Assert.Throws<ArgumentException>(() => Softmax.LogSumExp(new float[6], 3, new float[1]));
    }

    [Fact]
    public void A_partial_row_and_a_bad_class_count_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.Probabilities(new float[7], 3, new float[7]));
        Assert.Contains("7", e.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Probabilities(new float[6], 0, new float[6]));
        Assert.Equal("classes", r.ParamName);
    }

    [Fact]
    public void Partial_overlap_is_refused_but_exact_in_place_is_allowed()
    {
        var buffer = new float[10];
        var e = Assert.Throws<ArgumentException>(() => Softmax.Probabilities(buffer.AsSpan(0, 8), buffer.AsSpan(1, 8)));
        Assert.Equal("destination", e.ParamName);
        Softmax.Probabilities(buffer, buffer);
        Assert.Throws<ArgumentException>(() => Softmax.LogSumExp(buffer, 5, buffer.AsSpan(0, 2)));
    }

    [Fact]
    public void A_label_out_of_range_names_the_row_and_value_and_leaves_in_place_logits_untouched()
    {
        float[] z = [1, 2, 3, 4, 5, 6];
        var before = (float[])z.Clone();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.LossAndGradient(z, 3, [1, 3], z));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("Row 1", e.Message);
        Assert.Equal(3, e.ActualValue);
        Assert.Equal(before, z);
        Assert.Throws<ArgumentException>(() => CrossEntropy.Loss(z, 3, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SquaredError.Loss(z, 3, [0, -1]));
    }

    /// <summary>
    /// Soft targets are checked four vectors at a time; the one refused is still named by row and class, whether it
    /// falls in the first or last vector of a group or in the tail, and nothing is written.
    /// </summary>
    [Theory]
    [InlineData(2 * 50 + 37, -0.5f)]
    [InlineData(2 * 50 + 37, float.NaN)]
    [InlineData(3 * 50 - 1, float.PositiveInfinity)]
    [InlineData(0, float.NegativeInfinity)]
    [InlineData(60, float.NaN)]
    [InlineData(100, -0.25f)]
    public void A_bad_soft_target_is_named_by_row_and_class(int at, float value)
    {
        var z = Enumerable.Range(0, 150).Select(i => (float)(i % 7)).ToArray();
        var targets = Enumerable.Repeat(0.02f, 150).ToArray();
        targets[at] = value;
        var gradient = Enumerable.Repeat(5f, 150).ToArray();
        var e = Assert.Throws<ArgumentException>(() => CrossEntropy.LossAndGradient(z, 50, targets, gradient));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains($"Row {at / 50}, class {at % 50} has target {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}", e.Message);
        Assert.All(gradient, v => Assert.Equal(5f, v));
    }

    [Fact]
    public void Bad_soft_targets_and_options_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropy.Loss(new double[4], 2, [0.5, -0.1, 1, 0]));
        Assert.Equal("targets", e.ParamName);
        Assert.Throws<ArgumentException>(() => CrossEntropy.Loss(new double[4], 2, [0.5, double.NaN, 1, 0]));
        Assert.Throws<ArgumentException>(() => CrossEntropy.Loss(new double[4], 2, new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxOptions { Temperature = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxOptions { Temperature = double.PositiveInfinity });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxOptions { MaxDegreeOfParallelism = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions { LabelSmoothing = 1 });
        Assert.Throws<ArgumentException>(() => new CrossEntropyOptions { ClassWeights = [1, -1] });
        Assert.Throws<ArgumentException>(() => CrossEntropy.Loss(new double[4], 2, [0, 1], new CrossEntropyOptions { ClassWeights = [1, 2, 3] }));
    }

    [Fact]
    public void Backward_lengths_must_match()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.ProbabilitiesBackward(new float[6], new float[5], 3, new float[6]));
        Assert.Equal("outputGradient", e.ParamName);
    }
}
