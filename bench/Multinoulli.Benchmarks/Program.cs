using BenchmarkDotNet.Running;

namespace Multinoulli.Benchmarks;

public static class Program
{
    /// <summary>
    /// dotnet run -c Release --project bench/Multinoulli.Benchmarks -- --filter '*'
    /// (BenchmarkDotNet's own switches apply: --filter, --job short, --exporters markdown, ...)
    /// </summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
