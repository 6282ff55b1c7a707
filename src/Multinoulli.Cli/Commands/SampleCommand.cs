using System.CommandLine;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli sample</c>: draws classes from logits through a decoding chain.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo?>("file")
        {
            Description = "A file of logits (whitespace- or comma-separated); standard input when absent.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var temperature = new Option<double>("--temperature", "-t") { Description = "Divide the logits by T (0: greedy).", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int?>("--top-k") { Description = "Keep the k most probable classes." };
        var topP = new Option<double?>("--top-p") { Description = "Keep the smallest set of classes whose probability reaches p, in (0, 1]." };
        var minP = new Option<double?>("--min-p") { Description = "Keep the classes with probability ≥ min-p × the top one's, in [0, 1]." };
        var count = new Option<int>("--count", "-n") { Description = "How many classes to draw (independently).", DefaultValueFactory = _ => 1 };
        var seed = new Option<int?>("--seed") { Description = "Seed of the draws; the same seed repeats them. Default: a fresh seed." };
        var command = new Command("sample", """
            Draws class indices (0-based) from softmax(logits / T) after top-k, top-p and min-p, applied in that
            order; prints one class a line.

            Examples:
              multinoulli sample --seed 1 --count 5 <<< "2 1 0.5 -1"
              multinoulli sample logits.txt --temperature 0.8 --top-k 50 --top-p 0.9 --min-p 0.05
              echo "3 3 1" | multinoulli sample -t 0
            """)
        {
            file, temperature, topK, topP, minP, count, seed,
        };
        command.SetAction(parse =>
        {
            var source = parse.GetValue(file);
            double[] values = source is null
                ? LogitText.Parse([Console.In.ReadToEnd()], "standard input")
                : LogitText.Parse([ReadFile(source)], source.FullName);
            if (values.Length == 0) throw new UsageException("no logits given: pass a file or write them to standard input.");
            int draws = parse.GetValue(count);
            if (draws < 1) throw new UsageException($"--count must be at least 1; got {draws}.");
            var steps = new List<SamplingStep> { Step("--temperature", () => SamplingStep.Temperature(parse.GetValue(temperature))) };
            if (parse.GetValue(topK) is int k) steps.Add(Step("--top-k", () => SamplingStep.TopK(k)));
            if (parse.GetValue(topP) is double p) steps.Add(Step("--top-p", () => SamplingStep.TopP(p)));
            if (parse.GetValue(minP) is double m) steps.Add(Step("--min-p", () => SamplingStep.MinP(m)));
            var sampler = new DecodingSampler([.. steps]);
            var random = parse.GetValue(seed) is int s ? new Random(s) : new Random();
            float[] logits = Array.ConvertAll(values, v => (float)v);
            var output = new System.Text.StringBuilder();
            for (int i = 0; i < draws; i++) output.Append(sampler.Sample(logits, random)).Append('\n');
            Console.Out.Write(output);
            return 0;
        });
        return command;
    }

    /// <summary>Builds a step, naming the option (not the library's parameter) when its value is refused.</summary>
    private static SamplingStep Step(string option, Func<SamplingStep> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException($"{option} {e.ActualValue}: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private static string ReadFile(FileInfo file)
    {
        if (!file.Exists) throw new UsageException($"{file.FullName}: no such file.");
        return File.ReadAllText(file.FullName);
    }
}
