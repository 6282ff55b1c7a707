using System.CommandLine;
using Multinoulli.Cli.Commands;

namespace Multinoulli.Cli;

public static class Program
{
    /// <summary>Exit code for a mistake the user can fix (bad option, unreadable input).</summary>
    public const int UsageError = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("multinoulli: the softmax output unit for Multinoulli (categorical) distributions.")
        {
            TrainCommand.Create(),
            EvalCommand.Create(),
            PredictCommand.Create(),
            ExportCommand.Create(),
            Explain.ExplainCommand.Create(),
            SoftmaxCommand.Create(),
            SampleCommand.Create(),
            BenchCommand.Create(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"multinoulli: {error.Message}");
            Console.Error.WriteLine("Run 'multinoulli --help' for usage.");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"multinoulli: {e.Message}");
            return UsageError;
        }
        catch (InvalidDataException e)
        {
            // Malformed data: the reader's message names the file, the line and the reason.
            Console.Error.WriteLine($"multinoulli: {e.Message}");
            return UsageError;
        }
        catch (ArgumentException e)
        {
            // The library names the parameter and the value it refused; that is the whole message a user needs.
            Console.Error.WriteLine($"multinoulli: {e.Message}");
            return UsageError;
        }
    }
}

/// <summary>A mistake in what the user gave us: reported in one line, exit code 2, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
