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
            Description = "Timed runs per kernel (the median is reported).",
            DefaultValueFactory = _ => 9,
        };
        var quick = new Option<bool>("--quick") { Description = "Small shapes and few runs: checks that everything runs, in seconds. Figures are not meaningful." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Also write the results as a Markdown table to this file." };
        var kernels = new Command("kernels", """
            Float32 softmax, log-softmax and fused cross-entropy forward+backward against a plain copy of the same
            bytes and TensorPrimitives.SoftMax, on [4096 × 32000], [65536 × 10] and [1 × 4000000], on one thread
            and on every core.

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
            int runs = small ? 1 : parse.GetValue(repetitions);
            if (runs < 1) throw new UsageException($"--repetitions must be at least 1; got {runs}.");
            KernelBenchmark.Shape[] shapes = small
                ? [new(64, 3200), new(4096, 10), new(1, 400_000)]
                : [new(4096, 32000), new(65536, 10), new(1, 4_000_000)];
            int[] threads = Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
            var results = new KernelBenchmark(runs, small ? 0.01 : 0.5, Console.Error).Run(shapes, threads);
            string table = Markdown(results);
            Console.Out.Write(table);
            var file = parse.GetValue(output);
            if (file is not null)
            {
                file.Directory?.Create();
                File.WriteAllText(file.FullName, table);
            }
            return 0;
        });
        return new Command("bench", "Benchmarks whose figures the README quotes.") { kernels };
    }

    private static string Markdown(IReadOnlyList<KernelBenchmark.Measurement> results)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        string width = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "scalar";
        double gigaflops = MachineProbe.FusedMultiplyAddGigaflops();
        text.AppendLine(invariant, $"Machine: {Environment.ProcessorCount} cores, {width}, float32 FMA throughput {gigaflops:F0} GFLOP/s a core (measured), .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}.");
        text.AppendLine("Bandwidth = (bytes read + bytes written) / median time; × copy and × TensorPrimitives are ratios of times measured in this run.");
        text.AppendLine();
        text.AppendLine("| shape | threads | kernel | median ms | GB/s | × copy | × TensorPrimitives |");
        text.AppendLine("|---|---:|---|---:|---:|---:|---:|");
        foreach (var m in results)
            text.AppendLine(invariant, $"| {m.Shape} | {m.Threads} | {m.Kernel} | {m.Seconds * 1e3:F3} | {m.GigabytesPerSecond:F2} | {m.VersusCopy:F2} | {m.VersusTensorPrimitives:F2} |");
        return text.ToString();
    }
}
