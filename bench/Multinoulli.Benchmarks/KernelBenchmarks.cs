using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Multinoulli.Benchmarks;

/// <summary>
/// Float32 softmax, log-softmax and fused cross-entropy against a plain copy of the same bytes (the baseline:
/// read the logits once, write the output once) and TensorPrimitives.SoftMax called per row.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FullyOptimized))]
public class KernelBenchmarks
{
    private float[] _logits = [];
    private float[] _output = [];
    private int[] _labels = [];
    private SoftmaxOptions _softmax = SoftmaxOptions.Default;
    private CrossEntropyOptions _crossEntropy = CrossEntropyOptions.Default;

    /// <summary>rows × classes: a language-model batch, a classifier batch, one huge vocabulary row.</summary>
    [Params("4096x32000", "65536x10", "1x4000000")]
    public string Shape { get; set; } = "65536x10";

    /// <summary>1, or every core (−1).</summary>
    [Params(1, -1)]
    public int Threads { get; set; }

    // Parsed once at setup: parsing in a property would allocate inside the per-row baseline loop.
    private int _rows;
    private int _classes;

    [GlobalSetup]
    public void Setup()
    {
        _rows = int.Parse(Shape.Split('x')[0]);
        _classes = int.Parse(Shape.Split('x')[1]);
        var random = new Random(42);
        _logits = new float[(long)_rows * _classes];
        _output = new float[_logits.Length];
        for (int i = 0; i < _logits.Length; i++) _logits[i] = (float)(random.NextDouble() * 20 - 10);
        _labels = Enumerable.Range(0, _rows).Select(_ => random.Next(_classes)).ToArray();
        _softmax = new SoftmaxOptions { MaxDegreeOfParallelism = Threads };
        _crossEntropy = new CrossEntropyOptions { MaxDegreeOfParallelism = Threads };
    }

    [Benchmark(Baseline = true)]
    public void Copy() => ForRows((first, count) =>
        _logits.AsSpan(first * _classes, count * _classes).CopyTo(_output.AsSpan(first * _classes, count * _classes)));

    [Benchmark]
    public void TensorPrimitivesSoftMax() => ForRows((first, count) =>
    {
        for (int row = first; row < first + count; row++)
            TensorPrimitives.SoftMax(_logits.AsSpan(row * _classes, _classes), _output.AsSpan(row * _classes, _classes));
    });

    [Benchmark]
    public void Softmax() => Multinoulli.Softmax.Probabilities(_logits, _classes, _output, _softmax);

    [Benchmark]
    public void LogSoftmax() => Multinoulli.Softmax.LogProbabilities(_logits, _classes, _output, _softmax);

    [Benchmark]
    public double CrossEntropyForwardBackward() => CrossEntropy.LossAndGradient(_logits, _classes, _labels, _output, _crossEntropy);

    /// <summary>The baselines split rows over threads as the library does.</summary>
    private void ForRows(Action<int, int> body)
    {
        int threads = Threads == -1 ? Environment.ProcessorCount : Threads;
        if (threads == 1)
        {
            body(0, _rows);
            return;
        }
        int tasks = Math.Min(_rows, threads * 4);
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
        {
            int first = (int)((long)_rows * task / tasks);
            int last = (int)((long)_rows * (task + 1) / tasks);
            body(first, last - first);
        });
    }
}

/// <summary>
/// Every contender compiled fully optimised from the first call. With tiering on, a short warm-up times
/// TensorPrimitives in its tier-0 code (it even allocates there), which would flatter our kernels.
/// </summary>
public class FullyOptimized : ManualConfig
{
    public FullyOptimized() =>
        AddJob(Job.Default.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TieredCompilation", "0")));
}
