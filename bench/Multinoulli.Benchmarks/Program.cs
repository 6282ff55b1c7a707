using BenchmarkDotNet.Running;

namespace Multinoulli.Benchmarks;

public static class Program
{
    /// <summary>
    /// dotnet run -c Release --project bench/Multinoulli.Benchmarks -- --filter '*'
    /// (BenchmarkDotNet's own switches apply: --filter, --job short, --exporters markdown, ...), or
    /// dotnet run -c Release --project bench/Multinoulli.Benchmarks -- mnist [--data DIR] [--output FILE]
    /// for the training comparison, one long run a trainer.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "mnist") return MnistTraining.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
