using BenchmarkDotNet.Attributes;

namespace Multinoulli.Benchmarks;

/// <summary>
/// The rest of the family, which issue 2's speed targets do not name: cross-entropy with label smoothing and
/// against soft targets (with and without the gradient), the smooth maximum and the softmax backward pass, each
/// against the label's fused loss and gradient and a plain copy of the logits' bytes. Timed as an application
/// runs them, with the tiered JIT on: a kernel that the JIT's later recompilation slows down shows here.
/// </summary>
[MemoryDiagnoser]
public class FamilyBenchmarks
{
    private float[] _logits = [];
    private float[] _targets = [];
    private float[] _output = [];
    private float[] _perRow = [];
    private int[] _labels = [];
    private CrossEntropyOptions _plain = CrossEntropyOptions.Default;
    private CrossEntropyOptions _smoothed = CrossEntropyOptions.Default;
    private SoftmaxOptions _softmax = SoftmaxOptions.Default;
    private int _rows;
    private int _classes;

    /// <summary>rows × classes: a language-model batch, one huge vocabulary row.</summary>
    [Params("512x32000", "1x4000000")]
    public string Shape { get; set; } = "512x32000";

    /// <summary>1, or every core (−1).</summary>
    [Params(1, -1)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_rows, _classes) = Batches.Parse(Shape);
        (_logits, _labels) = Batches.Draw(_rows, _classes);
        _output = new float[_logits.Length];
        _perRow = new float[_rows];
        // Soft targets: each row a distribution (a teacher's probabilities).
        _targets = new float[_logits.Length];
        Softmax.Probabilities(_logits.Select(z => z * 0.5f).ToArray(), _classes, _targets);
        _plain = new CrossEntropyOptions { MaxDegreeOfParallelism = Threads };
        _smoothed = _plain with { LabelSmoothing = 0.1 };
        _softmax = new SoftmaxOptions { MaxDegreeOfParallelism = Threads };
    }

    [Benchmark(Baseline = true)]
    public void Copy()
    {
        int threads = Threads == -1 ? Environment.ProcessorCount : Threads;
        Multinoulli.Kernels.RowParallel.Ranges(_logits.Length, threads == 1 ? 1 : threads * 4, threads,
            (first, count) => _logits.AsSpan(first, count).CopyTo(_output.AsSpan(first, count)));
    }

    [Benchmark]
    public double Labels() => CrossEntropy.LossAndGradient(_logits, _classes, _labels, _output, _plain);

    [Benchmark]
    public double LabelSmoothing() => CrossEntropy.LossAndGradient(_logits, _classes, _labels, _output, _smoothed);

    [Benchmark]
    public double SoftTargets() => CrossEntropy.LossAndGradient(_logits, _classes, _targets, _output, _plain);

    [Benchmark]
    public double SoftTargetsLossOnly() => CrossEntropy.Loss(_logits, _classes, _targets, _plain);

    [Benchmark]
    public void SmoothMax() => Softmax.SmoothMax(_logits, _classes, _perRow, _softmax);

    [Benchmark]
    public void SoftmaxBackward() => Softmax.ProbabilitiesBackward(_targets, _logits, _classes, _output, _softmax);
}
