using System.CommandLine;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli bench</c>: the speed figures the README quotes, reproducible with one command.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var repetitions = new Option<int>("--repetitions", "-r")
        {
            Description = "Timed runs per kernel (the median is reported). The default, 10, completes the cycle of orders in which each of the five contenders of a shape follows every other equally often.",
            DefaultValueFactory = _ => 10,
        };
        var quick = new Option<bool>("--quick") { Description = "Small shapes and few runs: checks that everything runs, in seconds. Figures are not meaningful." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Also write the results as a Markdown table to this file." };
        var kernels = new Command("kernels", """
            Float32 softmax, log-softmax and fused cross-entropy forward+backward against a plain copy of the same
            bytes and TensorPrimitives.SoftMax, on [4096 × 32000], [65536 × 10] and [1 × 4000000], on one thread
            and on every core. The contenders of a shape are warmed up, then timed in turns, one run each a round, in orders where each follows every other equally often.

            Examples:
              multinoulli bench kernels
              multinoulli bench kernels --output docs/benchmarks/kernels.md
              multinoulli bench kernels --quick
            """)
        {
            repetitions, quick, output,
        };
        kernels.SetAction(parse =>
        {
            bool small = parse.GetValue(quick);
            int runs = Runs(parse, small);
            KernelBenchmark.Shape[] shapes = small
                ? [new(64, 3200), new(4096, 10), new(1, 400_000)]
                : [new(4096, 32000), new(65536, 10), new(1, 4_000_000)];
            int[] threads = Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
            var results = new KernelBenchmark(runs, small ? 0.01 : 0.5, Console.Error).Run(shapes, threads);
            Emit(Markdown(results), parse.GetValue(output));
            return 0;
        });
        var sampling = new Command("sampling", """
            Draws per second of the alias table, inverse CDF (binary search and linear scan) and Gumbel-max at 10 and
            128,000 classes, and one decoding step (temperature 0.8, top-k 50, top-p 0.9, min-p 0.05, draw) from
            128,000 float32 logits against the same chain written with a full sort. One thread throughout.

            Examples:
              multinoulli bench sampling
              multinoulli bench sampling --output docs/benchmarks/sampling.md
            """)
        {
            repetitions, quick, output,
        };
        sampling.SetAction(parse =>
        {
            bool small = parse.GetValue(quick);
            int runs = Runs(parse, small);
            var benchmark = new SamplingBenchmark(runs, small ? 0.01 : 0.5, Console.Error);
            var draws = benchmark.Draws(small ? [10, 12_800] : [10, 128_000], small ? 20_000 : 4_000_000);
            var decoding = benchmark.Decoding(small ? 12_800 : 128_000, small ? 5 : 50);
            Emit(SamplingMarkdown(draws, decoding), parse.GetValue(output));
            return 0;
        });
        return new Command("bench", "Benchmarks whose figures the README quotes.") { kernels, sampling };
    }

    private static int Runs(ParseResult parse, bool small)
    {
        int runs = small ? 1 : parse.GetValue<int>("--repetitions");
        if (runs < 1) throw new UsageException($"--repetitions must be at least 1; got {runs}.");
        return runs;
    }

    /// <summary>Prints the table and, when asked, writes it to a file (creating its folder).</summary>
    private static void Emit(string table, FileInfo? file)
    {
        Console.Out.Write(table);
        if (file is null) return;
        file.Directory?.Create();
        File.WriteAllText(file.FullName, table);
    }

    private static string MachineLine()
    {
        string width = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "scalar";
        int cores = Environment.ProcessorCount;
        double one = MachineProbe.FusedMultiplyAddGigaflops();
        double all = cores > 1 ? MachineProbe.FusedMultiplyAddGigaflops(cores) : one;
        string together = cores > 1 ? $", {all:F0} on all {cores} at once ({all / one:F2}× one)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"Machine: {cores} cores, {width}, float32 FMA throughput {one:F0} GFLOP/s on one core{together} (measured), .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}.");
    }

    private static string SamplingMarkdown(IReadOnlyList<SamplingBenchmark.Measurement> draws, SamplingBenchmark.DecodingMeasurement decoding)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(MachineLine());
        text.AppendLine("One thread, seeded System.Random; median over the runs. Logits: a Gaussian bulk (σ = 2) and 40 strong classes.");
        text.AppendLine();
        text.AppendLine("| sampler | classes | ns a draw | draws a second |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var m in draws)
            text.AppendLine(invariant, $"| {m.Sampler} | {m.Classes} | {m.SecondsPerDraw * 1e9:F1} | {m.DrawsPerSecond:N0} |");
        text.AppendLine();
        text.AppendLine("| decoding step | classes | selection ms | full sort ms | speed-up |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        text.AppendLine(invariant, $"| {decoding.Chain} → draw | {decoding.Classes} | {decoding.SelectionSeconds * 1e3:F4} | {decoding.FullSortSeconds * 1e3:F3} | {decoding.Speedup:F0}× |");
        return text.ToString();
    }

    private static string Markdown(IReadOnlyList<KernelBenchmark.Measurement> results)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(MachineLine());
        text.AppendLine("Bandwidth = (bytes read + bytes written) / median time; × copy and × TensorPrimitives are ratios of times measured in this run, the contenders timed in turns, in orders where each follows every other equally often.");
        text.AppendLine();
        text.AppendLine("| shape | threads | kernel | median ms | GB/s | × copy | × TensorPrimitives |");
        text.AppendLine("|---|---:|---|---:|---:|---:|---:|");
        foreach (var m in results)
            text.AppendLine(invariant, $"| {m.Shape} | {m.Threads} | {m.Kernel} | {m.Seconds * 1e3:F3} | {m.GigabytesPerSecond:F2} | {m.VersusCopy:F2} | {m.VersusTensorPrimitives:F2} |");
        return text.ToString();
    }
}
