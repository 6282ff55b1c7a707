using CsCheck;

namespace Multinoulli.Tests;

/// <summary>Every backward pass and fused gradient against central finite differences of its forward pass, in double.</summary>
public class GradientTests
{
    private static readonly Gen<(double[] Logits, double[] Upstream)> RowAndUpstream =
        from n in Gen.Int[1, 12]
        from z in Gen.Double[-6, 6].Array[n]
        from g in Gen.Double[-2, 2].Array[n]
        select (z, g);

    private static void AssertGradient(double[] analytic, Func<double[], double> f, double[] x, string what)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double numeric = Reference.Derivative(f, x, i);
            Assert.True(Math.Abs(analytic[i] - numeric) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"{what}: ∂/∂z[{i}] analytic {analytic[i]} vs numeric {numeric}; z = [{string.Join(", ", x)}]");
        }
    }

    private delegate void Forward(ReadOnlySpan<double> logits, Span<double> destination, SoftmaxOptions options);

    private delegate void Backward(ReadOnlySpan<double> outputs, ReadOnlySpan<double> outputGradient, int classes, Span<double> destination, SoftmaxOptions options);

    /// <summary>backward(forward(z), g) must be the gradient of gᵀforward(z), at random temperatures.</summary>
    private static void AssertVectorJacobianProduct(Forward forward, Backward backward, string what) =>
        Gen.Select(RowAndUpstream, Gen.Double[0.3, 3]).Sample((pair, temperature) =>
        {
            var (z, g) = pair;
            var options = new SoftmaxOptions { Temperature = temperature };
            var outputs = new double[z.Length];
            forward(z, outputs, options);
            var dz = new double[z.Length];
            backward(outputs, g, z.Length, dz, options);
            AssertGradient(dz, x =>
            {
                var q = new double[x.Length];
                forward(x, q, options);
                return q.Zip(g, (a, b) => a * b).Sum();
            }, z, what);
        }, iter: 200);

    [Fact]
    public void Softmax_backward_is_the_vector_Jacobian_product() =>
        AssertVectorJacobianProduct((z, p, o) => Softmax.Probabilities(z, p, o), (y, g, c, d, o) => Softmax.ProbabilitiesBackward(y, g, c, d, o), "softmax");

    [Fact]
    public void Log_softmax_backward_is_the_vector_Jacobian_product() =>
        AssertVectorJacobianProduct((z, y, o) => Softmax.LogProbabilities(z, y, o), (y, g, c, d, o) => Softmax.LogProbabilitiesBackward(y, g, c, d, o), "log-softmax");

    private static readonly Gen<(double[] Logits, int[] Labels, double[] Soft, int Classes)> Batch =
        from classes in Gen.Int[2, 9]
        from rows in Gen.Int[1, 4]
        from z in Gen.Double[-5, 5].Array[rows * classes]
        from labels in Gen.Int[0, classes - 1].Array[rows]
        from soft in Gen.Double[0, 1].Array[rows * classes]
        select (z, labels, soft, classes);

    private static readonly Gen<CrossEntropyOptions> Options =
        from reduction in Gen.OneOf(Reduction.Mean, Reduction.Sum)
        from smoothing in Gen.OneOf(0.0, 0.1, 0.5)
        from weighted in Gen.Bool
        from weights in Gen.Double[0.1, 3].Array[9]
        select new CrossEntropyOptions { Reduction = reduction, LabelSmoothing = smoothing, ClassWeights = weighted ? weights : null };

    [Fact]
    public void Cross_entropy_gradient_with_labels_matches_finite_differences()
    {
        Gen.Select(Batch, Options).Sample((batch, options) =>
        {
            options = options with { ClassWeights = options.ClassWeights?[..batch.Classes] };
            var gradient = new double[batch.Logits.Length];
            double loss = CrossEntropy.LossAndGradient(batch.Logits, batch.Classes, batch.Labels, gradient, options);
            // The loss alone and the loss fused with its gradient are the same expression, bit for bit.
            Assert.Equal(CrossEntropy.Loss(batch.Logits, batch.Classes, batch.Labels, options), loss);
            AssertGradient(gradient, x => CrossEntropy.Loss(x, batch.Classes, batch.Labels, options), batch.Logits, $"cross-entropy {options}");
        }, iter: 300);
    }

    [Fact]
    public void Cross_entropy_gradient_with_soft_targets_matches_finite_differences()
    {
        Gen.Select(Batch, Options).Sample((batch, options) =>
        {
            options = options with { ClassWeights = options.ClassWeights?[..batch.Classes] };
            var gradient = new double[batch.Logits.Length];
            CrossEntropy.LossAndGradient(batch.Logits, batch.Classes, batch.Soft, gradient, options);
            AssertGradient(gradient, x => CrossEntropy.Loss(x, batch.Classes, batch.Soft, options), batch.Logits, $"soft cross-entropy {options}");
        }, iter: 300);
    }

    [Fact]
    public void Squared_error_gradient_matches_finite_differences()
    {
        Batch.Sample(batch =>
        {
            var gradient = new double[batch.Logits.Length];
            SquaredError.LossAndGradient(batch.Logits, batch.Classes, batch.Labels, gradient);
            AssertGradient(gradient, x => SquaredError.Loss(x, batch.Classes, batch.Labels), batch.Logits, "squared error");
        }, iter: 300);
    }

    [Fact]
    public void Float_cross_entropy_agrees_with_double_and_works_in_place()
    {
        Batch.Sample(batch =>
        {
            var z32 = batch.Logits.Select(v => (float)v).ToArray();
            var z64 = z32.Select(v => (double)v).ToArray();
            var g64 = new double[z64.Length];
            double expected = CrossEntropy.LossAndGradient(z64, batch.Classes, batch.Labels, g64);
            double actual = CrossEntropy.LossAndGradient(z32, batch.Classes, batch.Labels, z32);
            Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"float loss {actual} vs double {expected}");
            for (int i = 0; i < z32.Length; i++) Assert.True(Math.Abs(z32[i] - g64[i]) <= 1e-6, $"gradient {i}: {z32[i]} vs {g64[i]}");
        }, iter: 200);
    }
}
