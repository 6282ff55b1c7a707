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
public class KernelBenchmarks : RowKernelBenchmarks
{
    /// <summary>rows × classes: a language-model batch, a classifier batch, one huge vocabulary row, and a batch of a hundred classes (rows too short for the chunked path, too long for 16-row blocks).</summary>
    [Params("4096x32000", "65536x10", "1x4000000", "4096x100")]
    public override string Shape { get; set; } = "65536x10";

    /// <summary>1, or every core (−1).</summary>
    [Params(1, -1)]
    public override int Threads { get; set; }
}

/// <summary>
/// <see cref="KernelBenchmarks"/> on rows a little longer than a vector, about 1.1 million floats a batch, one
/// thread: rows of 17 to 128 classes go four at a time, longer ones one by one with a row-local exponential. Also
/// the kernels that read a row and write one value (log-sum-exp, the smooth max, the loss alone), which should
/// take no longer than softmax, which writes the whole row, and cross-entropy's loss and gradient with label
/// smoothing and against soft targets (a teacher's probabilities), the forms a classifier's training uses.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FullyOptimized))]
public class ShortRowBenchmarks : RowKernelBenchmarks
{
    [Params("65536x17", "32768x32", "16384x64", "11264x100", "8192x128", "4096x256", "1024x1000")]
    public override string Shape { get; set; } = "65536x17";

    [Params(1)]
    public override int Threads { get; set; }

    [Benchmark]
    public void LogSumExp() => Multinoulli.Softmax.LogSumExp(Logits, Classes, PerRow, SoftmaxOptions);

    [Benchmark]
    public void SmoothMax() => Multinoulli.Softmax.SmoothMax(Logits, Classes, PerRow, SoftmaxOptions);

    [Benchmark]
    public double CrossEntropyLoss() => CrossEntropy.Loss(Logits, Classes, Labels, CrossEntropyOptions);

    private float[] _targets = [];
    private CrossEntropyOptions _smoothed = CrossEntropyOptions.Default;

    // The base's [GlobalSetup] calls this (BenchmarkDotNet allows one a class).
    public override void Setup()
    {
        base.Setup();
        _targets = new float[Logits.Length];
        Multinoulli.Softmax.Probabilities(Logits.Select(z => z * 0.5f).ToArray(), Classes, _targets);
        _smoothed = CrossEntropyOptions with { LabelSmoothing = 0.1 };
    }

    [Benchmark]
    public double CrossEntropyLabelSmoothing() => CrossEntropy.LossAndGradient(Logits, Classes, Labels, Output, _smoothed);

    [Benchmark]
    public double CrossEntropySoftTargets() => CrossEntropy.LossAndGradient(Logits, Classes, _targets, Output, CrossEntropyOptions);
}

/// <summary>The contenders of the kernel benchmarks, for the shapes and thread counts a derived class gives.</summary>
public abstract class RowKernelBenchmarks
{
    private float[] _logits = [];
    private float[] _output = [];
    private float[] _perRow = [];
    private int[] _labels = [];
    private SoftmaxOptions _softmax = SoftmaxOptions.Default;
    private CrossEntropyOptions _crossEntropy = CrossEntropyOptions.Default;

    protected float[] Logits => _logits;
    protected int Classes => _classes;
    protected int[] Labels => _labels;
    /// <summary>One value an element, for the kernels that write the whole batch.</summary>
    protected float[] Output => _output;
    /// <summary>One value a row, for the reductions.</summary>
    protected float[] PerRow => _perRow;
    protected SoftmaxOptions SoftmaxOptions => _softmax;
    protected CrossEntropyOptions CrossEntropyOptions => _crossEntropy;

    /// <summary>rows × classes.</summary>
    public abstract string Shape { get; set; }

    /// <summary>1, or every core (−1).</summary>
    public abstract int Threads { get; set; }

    // Parsed once at setup: parsing in a property would allocate inside the per-row baseline loop.
    private int _rows;
    private int _classes;

    [GlobalSetup]
    public virtual void Setup()
    {
        (_rows, _classes) = Batches.Parse(Shape);
        (_logits, _labels) = Batches.Draw(_rows, _classes);
        _output = new float[_logits.Length];
        _perRow = new float[_rows];
        _softmax = new SoftmaxOptions { MaxDegreeOfParallelism = Threads };
        _crossEntropy = new CrossEntropyOptions { MaxDegreeOfParallelism = Threads };
    }

    [Benchmark(Baseline = true)]
    public void Copy() => ForRows((first, count) => _logits.AsSpan(first, count).CopyTo(_output.AsSpan(first, count)), byElements: true);

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

    /// <summary>
    /// The baselines split over threads as the library does, with its fork-join: TensorPrimitives by rows, the
    /// copy by bytes (at least one piece a thread, as the library splits a long row).
    /// </summary>
    private void ForRows(Action<int, int> body, bool byElements = false)
    {
        int threads = Threads == -1 ? Environment.ProcessorCount : Threads;
        int items = byElements ? _rows * _classes : _rows;
        int tasks = threads == 1 ? 1 : byElements ? threads * 4 : Math.Min(_rows, threads * 4);
        Multinoulli.Kernels.RowParallel.Ranges(items, tasks, threads, body);
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
