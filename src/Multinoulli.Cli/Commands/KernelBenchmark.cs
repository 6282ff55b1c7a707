using Multinoulli.Kernels;
using System.Numerics.Tensors;

namespace Multinoulli.Cli.Commands;

/// <summary>
/// Times the float32 kernels against a plain copy of the same bytes and against TensorPrimitives.SoftMax called
/// per row, in one process and in turns (<see cref="Timing.InterleavedMedianSeconds"/>), so the ratios are fair
/// even on a noisy machine. Bandwidth counts the bytes a kernel must move: the logits read once and the output
/// written once (the same as the copy).
/// </summary>
public sealed class KernelBenchmark(int repetitions, double warmUpSeconds, TextWriter progress)
{
    public sealed record Shape(int Rows, int Classes)
    {
        public long Elements => (long)Rows * Classes;
        public override string ToString() => $"{Rows} × {Classes}";
    }

    public sealed record Measurement(Shape Shape, string Kernel, int Threads, double Seconds, double GigabytesPerSecond, double VersusCopy, double VersusTensorPrimitives);

    public IReadOnlyList<Measurement> Run(IEnumerable<Shape> shapes, IEnumerable<int> threadCounts)
    {
        var results = new List<Measurement>();
        foreach (var shape in shapes)
        {
            progress.WriteLine($"preparing {shape} ({shape.Elements * 4 / 1e6:F0} MB of logits)...");
            var logits = new float[shape.Elements];
            var output = new float[shape.Elements];
            var random = new Random(42);
            for (long i = 0; i < logits.LongLength; i++) logits[i] = (float)(random.NextDouble() * 20 - 10);
            var labels = new int[shape.Rows];
            for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(shape.Classes);
            foreach (int threads in threadCounts)
            {
                var softmax = new SoftmaxOptions { MaxDegreeOfParallelism = threads };
                var crossEntropy = new CrossEntropyOptions { MaxDegreeOfParallelism = threads };
                int classes = shape.Classes;
                var kernels = new (string Name, Action Body)[]
                {
                    ("copy", () => Copy(logits, output, threads)),
                    ("TensorPrimitives.SoftMax", () => Rows(shape, threads, (first, count) =>
                    {
                        for (int row = first; row < first + count; row++)
                            TensorPrimitives.SoftMax(logits.AsSpan(row * classes, classes), output.AsSpan(row * classes, classes));
                    })),
                    ("softmax", () => Softmax.Probabilities(logits, classes, output, softmax)),
                    ("log-softmax", () => Softmax.LogProbabilities(logits, classes, output, softmax)),
                    ("cross-entropy forward+backward", () => CrossEntropy.LossAndGradient(logits, classes, labels, output, crossEntropy)),
                };
                progress.WriteLine($"  {shape} {threads} thread(s): warming up and timing {kernels.Length} kernels in turns...");
                var times = Timing.InterleavedMedianSeconds([.. kernels.Select(kernel => kernel.Body)], repetitions, warmUpSeconds);
                double copy = times[0], reference = times[1];
                for (int k = 0; k < kernels.Length; k++)
                {
                    var (name, seconds) = (kernels[k].Name, times[k]);
                    double bandwidth = 2.0 * shape.Elements * sizeof(float) / seconds / 1e9;
                    var measurement = new Measurement(shape, name, threads, seconds, bandwidth, copy / seconds, reference / seconds);
                    progress.WriteLine($"  {shape} {threads} thread(s) {name}: {seconds * 1e3:F3} ms, {bandwidth:F2} GB/s, {measurement.VersusCopy:F2}× copy");
                    results.Add(measurement);
                }
            }
        }
        return results;
    }

    /// <summary>
    /// Splits rows over threads the way the library does, for TensorPrimitives: the library's own fork-join
    /// (<see cref="RowParallel.Run"/>), so that neither side pays for a slower hand-off than the other.
    /// </summary>
    private static void Rows(Shape shape, int threads, Action<int, int> body) =>
        RowParallel.Ranges(shape.Rows, threads == 1 ? 1 : Math.Min(shape.Rows, threads * 4), threads, body);

    /// <summary>
    /// The copy on <paramref name="threads"/> threads: its bytes split into at least one piece a thread, whatever
    /// the rows (the library splits a long row too), so the baseline has every core's bandwidth.
    /// </summary>
    private static void Copy(float[] source, float[] destination, int threads) =>
        RowParallel.Ranges(source.Length, threads == 1 ? 1 : threads * 4, threads,
            (first, count) => source.AsSpan(first, count).CopyTo(destination.AsSpan(first, count)));
}
