namespace Multinoulli.Cli.Commands;

/// <summary>
/// Draws per second of each sampler at a small and a large number of classes, and one language-model decoding step
/// (temperature 0.8, top-k 50, top-p 0.9, min-p 0.05, draw) against the same chain written with a full sort, in one
/// process so that the ratio is fair on a noisy machine. Every sampler uses a seeded <see cref="Random"/>, as a
/// user who wants repeatable draws would.
/// </summary>
public sealed class SamplingBenchmark(int repetitions, double warmUpSeconds, TextWriter progress)
{
    public sealed record Measurement(string Sampler, int Classes, double SecondsPerDraw)
    {
        public double DrawsPerSecond => 1 / SecondsPerDraw;
    }

    public sealed record DecodingMeasurement(int Classes, string Chain, double SelectionSeconds, double FullSortSeconds)
    {
        public double Speedup => FullSortSeconds / SelectionSeconds;
    }

    /// <summary>
    /// Language-model-like logits: a Gaussian bulk of standard deviation 2 and a few dozen strong candidates.
    /// </summary>
    public static float[] LanguageModelLogits(int classes, int seed)
    {
        var random = new Random(seed);
        var logits = new float[classes];
        for (int i = 0; i < classes; i++)
            logits[i] = (float)(2 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        for (int i = 0; i < Math.Min(40, classes); i++) logits[random.Next(classes)] = 8 + (float)random.NextDouble() * 6;
        return logits;
    }

    /// <param name="classCounts">The numbers of classes to measure.</param>
    /// <param name="workPerRun">Roughly how many class visits one timed run makes: an O(1) sampler draws this many
    /// times, an O(n) sampler this many divided by n.</param>
    public IReadOnlyList<Measurement> Draws(IEnumerable<int> classCounts, long workPerRun)
    {
        var results = new List<Measurement>();
        foreach (int classes in classCounts)
        {
            var logits = LanguageModelLogits(classes, 42);
            var distribution = Categorical.FromLogits(logits);
            var probabilities = distribution.Probabilities.ToArray();
            var table = distribution.AliasTable;
            distribution.Sample(new Random(1)); // builds the cumulative table outside the timing
            int constant = (int)Math.Min(workPerRun, 1 << 22);
            int linear = (int)Math.Max(1, workPerRun / classes);
            var buffer = new int[constant];
            var random = new Random(42);
            var contenders = new (string Name, int Draws, Action Body)[]
            {
                ("alias table (AliasTable.Sample, span)", constant, () => table.Sample(random, buffer)),
                ("inverse CDF, binary search (Categorical.Sample)", constant, () =>
                {
                    for (int i = 0; i < constant; i++) buffer[i] = distribution.Sample(random);
                }),
                ("inverse CDF, linear scan (Sampling.InverseCdf)", linear, () =>
                {
                    for (int i = 0; i < linear; i++) buffer[i] = Sampling.InverseCdf(probabilities, random);
                }),
                ("Gumbel-max from logits (Sampling.GumbelMax)", linear, () =>
                {
                    for (int i = 0; i < linear; i++) buffer[i] = Sampling.GumbelMax(logits, random);
                }),
            };
            foreach (var (name, draws, body) in contenders)
            {
                double seconds = Timing.MedianSeconds(body, repetitions, warmUpSeconds) / draws;
                var measurement = new Measurement(name, classes, seconds);
                progress.WriteLine($"  {classes} classes, {name}: {seconds * 1e9:F1} ns a draw, {measurement.DrawsPerSecond / 1e6:F3} M draws/s");
                results.Add(measurement);
            }
        }
        return results;
    }

    public DecodingMeasurement Decoding(int classes, int stepsPerRun)
    {
        var logits = LanguageModelLogits(classes, 7);
        var sampler = new DecodingSampler(SamplingStep.Temperature(0.8), SamplingStep.TopK(50), SamplingStep.TopP(0.9), SamplingStep.MinP(0.05));
        var baseline = new FullSortDecoder(0.8, 50, 0.9, 0.05);
        var random = new Random(42);
        int sink = 0;
        double selection = Timing.MedianSeconds(() =>
        {
            for (int i = 0; i < stepsPerRun; i++) sink += sampler.Sample(logits, random);
        }, repetitions, warmUpSeconds) / stepsPerRun;
        progress.WriteLine($"  decoding step, {classes} classes, selection: {selection * 1e3:F4} ms");
        double fullSort = Timing.MedianSeconds(() => sink += baseline.Sample(logits, random), repetitions, warmUpSeconds);
        progress.WriteLine($"  decoding step, {classes} classes, full sort: {fullSort * 1e3:F4} ms (checksum {sink})");
        return new DecodingMeasurement(classes, sampler.ToString(), selection, fullSort);
    }
}
