using BenchmarkDotNet.Attributes;
using Multinoulli.Cli.Commands;

namespace Multinoulli.Benchmarks;

/// <summary>
/// One draw from each sampler at 10 and 128,000 classes, and one decoding step (temperature 0.8, top-k 50,
/// top-p 0.9, min-p 0.05, draw) by selection against the same chain with a full sort. Seeded Random throughout.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FullyOptimized))]
public class SamplingBenchmarks
{
    private float[] _logits = [];
    private double[] _probabilities = [];
    private Categorical _distribution = Categorical.FromLogits([0.0]);
    private readonly Random _random = new(42);
    private readonly DecodingSampler _sampler = new(SamplingStep.Temperature(0.8), SamplingStep.TopK(50), SamplingStep.TopP(0.9), SamplingStep.MinP(0.05));
    private readonly FullSortDecoder _fullSort = new(0.8, 50, 0.9, 0.05);

    [Params(10, 128_000)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _logits = SamplingBenchmark.LanguageModelLogits(Classes, 42);
        _distribution = Categorical.FromLogits(_logits);
        _probabilities = _distribution.Probabilities.ToArray();
        _distribution.Sample(_random);
        _ = _distribution.AliasTable;
    }

    [Benchmark]
    public int AliasTable() => _distribution.AliasTable.Sample(_random);

    [Benchmark]
    public int InverseCdfBinarySearch() => _distribution.Sample(_random);

    [Benchmark]
    public int InverseCdfLinearScan() => Sampling.InverseCdf(_probabilities, _random);

    [Benchmark]
    public int GumbelMax() => Sampling.GumbelMax(_logits, _random);

    [Benchmark]
    public int DecodingStepSelection() => _sampler.Sample(_logits, _random);

    [Benchmark]
    public int DecodingStepFullSort() => _fullSort.Sample(_logits, _random);
}
