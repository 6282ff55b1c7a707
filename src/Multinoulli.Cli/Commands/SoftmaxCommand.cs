using System.CommandLine;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli softmax</c>: probabilities, log-probabilities or the normalizer of the given logits.</summary>
public static class SoftmaxCommand
{
    public static Command Create()
    {
        var logits = new Argument<string[]>("logits")
        {
            Description = "The logits, separated by spaces or commas. Read from standard input when none are given. Put '--' before the first negative number.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var log = new Option<bool>("--log") { Description = "Print log-probabilities instead of probabilities." };
        var logSumExp = new Option<bool>("--logsumexp") { Description = "Print only the normalizer log Σ exp(z / T)." };
        var temperature = new Option<double>("--temperature", "-t")
        {
            Description = "Temperature T in softmax(z / T); positive and finite.",
            DefaultValueFactory = _ => 1.0,
        };
        var precision = new Option<string>("--precision")
        {
            Description = "Arithmetic: double (default) or float.",
            DefaultValueFactory = _ => "double",
        };
        precision.AcceptOnlyFromAmong("double", "float");

        var command = new Command("softmax", """
            Softmax of logits: exp(zᵢ/T) / Σⱼ exp(zⱼ/T), exact for every finite logit.

            Examples:
              multinoulli softmax 1000 1000 2            → 0.5 0.5 0
              multinoulli softmax --log 1 2 3
              multinoulli softmax --logsumexp -- -1 0 1
              echo "3, 1, -inf" | multinoulli softmax --temperature 2
            """)
        {
            logits, log, logSumExp, temperature, precision,
        };
        command.SetAction(parse =>
        {
            string[] tokens = parse.GetValue(logits) ?? [];
            double[] values = tokens.Length > 0
                ? LogitText.Parse(tokens, "the arguments")
                : LogitText.Parse([Console.In.ReadToEnd()], "standard input");
            if (values.Length == 0)
                throw new UsageException("no logits given: pass them as arguments or on standard input.");
            double t = parse.GetValue(temperature);
            if (!(t > 0 && double.IsFinite(t)))
                throw new UsageException($"--temperature must be positive and finite; got {LogitText.Format(t)}.");
            var options = new SoftmaxOptions { Temperature = t };
            bool single = parse.GetValue(precision) == "float";
            Console.Out.WriteLine(Compute(values, options, parse.GetValue(log), parse.GetValue(logSumExp), single));
            return 0;
        });
        return command;
    }

    /// <summary>The line the command prints.</summary>
    public static string Compute(double[] logits, SoftmaxOptions options, bool log, bool logSumExp, bool single)
    {
        if (single)
        {
            float[] z = Array.ConvertAll(logits, v => (float)v);
            if (logSumExp) return LogitText.Format(Softmax.LogSumExp(z, options));
            var result = new float[z.Length];
            if (log) Softmax.LogProbabilities(z, result, options);
            else Softmax.Probabilities(z, result, options);
            return string.Join(' ', result.Select(LogitText.Format));
        }
        if (logSumExp) return LogitText.Format(Softmax.LogSumExp(logits, options));
        var output = new double[logits.Length];
        if (log) Softmax.LogProbabilities(logits, output, options);
        else Softmax.Probabilities(logits, output, options);
        return string.Join(' ', output.Select(LogitText.Format));
    }
}
