using Multinoulli.Cli;

namespace Multinoulli.Tests;

/// <summary>The first command a newcomer runs, through the tool's real entry point.</summary>
[Collection(nameof(ConsoleCollection))]
public class CliTests
{
    private static (int Code, string Output, string Error) Run(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError, oldIn) = (Console.Out, Console.Error, Console.In);
        Console.SetOut(output);
        Console.SetError(error);
        Console.SetIn(new StringReader(input));
        try
        {
            return (Program.Main(args), output.ToString().Trim(), error.ToString().Trim());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
            Console.SetIn(oldIn);
        }
    }

    [Fact]
    public void Softmax_of_the_README_example()
    {
        Assert.Equal((0, "0.5 0.5 0", ""), Run("", "softmax", "1000", "1000", "2"));
    }

    [Fact]
    public void Log_probabilities_and_the_normalizer_match_the_library()
    {
        var (code, output, _) = Run("", "softmax", "--log", "1", "2", "3");
        Assert.Equal(0, code);
        var y = new double[3];
        Softmax.LogProbabilities([1.0, 2, 3], y);
        Assert.Equal(string.Join(' ', y.Select(LogitText.Format)), output);
        Assert.Equal(LogitText.Format(Softmax.LogSumExp([-1.0, 0, 1])), Run("", "softmax", "--logsumexp", "--", "-1", "0", "1").Output);
    }

    [Fact]
    public void Logits_can_come_from_standard_input_with_commas()
    {
        Assert.Equal((0, "0.5 0.5 0", ""), Run("7, 7,\n-inf", "softmax"));
    }

    [Fact]
    public void User_errors_print_one_line_and_exit_2()
    {
        var (code, output, error) = Run("", "softmax", "1", "abc");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("'abc'", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal(2, Run("", "softmax", "1", "--temperature", "-1").Code);
        Assert.Equal(2, Run("", "softmax").Code);
        Assert.Equal(2, Run("", "softmax", "1", "--precision", "half").Code);
    }
}

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public class ConsoleCollection;

[Collection(nameof(ConsoleCollection))]
public class BenchCommandTests
{
    /// <summary>Runs a quick benchmark and returns its table, after checking that the file holds what was printed.</summary>
    private static string QuickTable(string benchmark)
    {
        string file = Path.Combine(Path.GetTempPath(), $"multinoulli-bench-{Guid.NewGuid():N}.md");
        var output = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(TextWriter.Null);
        try
        {
            Assert.Equal(0, Program.Main(["bench", benchmark, "--quick", "--output", file]));
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
        string table = File.ReadAllText(file);
        File.Delete(file);
        Assert.Equal(output.ToString(), table);
        return table;
    }

    /// <summary>
    /// Interleaved timing runs every body once a round, after its warm-up, and not always in the same order: a
    /// body that always followed the same other would pay for what that one leaves in the caches.
    /// </summary>
    [Fact]
    public void Interleaved_timing_runs_every_body_once_a_round_in_changing_orders()
    {
        var calls = new List<int>();
        var bodies = Enumerable.Range(0, 4).Select(b => (Action)(() => calls.Add(b))).ToArray();
        var times = Multinoulli.Cli.Commands.Timing.InterleavedMedianSeconds(bodies, repetitions: 9, warmUpSeconds: 0);
        Assert.Equal(4, times.Length);
        Assert.All(times, t => Assert.True(t >= 0));
        // Two warm-up runs each, body by body, then nine rounds of four.
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], calls.Take(8));
        var rounds = calls.Skip(8).Chunk(4).ToArray();
        Assert.Equal(9, rounds.Length);
        Assert.All(rounds, round => Assert.Equal([0, 1, 2, 3], round.Order()));
        Assert.True(rounds.Select(round => string.Join(",", round)).Distinct().Count() > 1, "every round took the bodies in the same order");
        for (int b = 0; b < 4; b++)
            Assert.True(rounds.Skip(1).Select((round, i) => Array.IndexOf(round, b) == 0 ? rounds[i][3] : round[Array.IndexOf(round, b) - 1]).Distinct().Count() > 1,
                $"body {b} always followed the same body");
    }

    /// <summary>Over a cycle of balanced orders each body runs once a round and follows every other equally often.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    public void Balanced_orders_have_every_body_follow_every_other_equally_often(int count)
    {
        var orders = Multinoulli.Cli.Commands.Timing.BalancedOrders(count);
        Assert.Equal(count % 2 == 0 ? count : 2 * count, orders.Length);
        Assert.All(orders, order => Assert.Equal(Enumerable.Range(0, count), order.Order()));
        var follows = orders.SelectMany(order => order.Zip(order.Skip(1))).GroupBy(pair => pair).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(count * (count - 1), follows.Count);
        Assert.Single(follows.Values.Distinct().DefaultIfEmpty(0));
    }

    [Fact]
    public void The_quick_sampling_benchmark_measures_every_sampler_and_the_decoding_step()
    {
        string table = QuickTable("sampling");
        foreach (string sampler in new[] { "AliasTable.Sample", "Categorical.Sample", "Sampling.InverseCdf", "Sampling.GumbelMax" })
            Assert.Equal(2, table.Split('\n').Count(line => line.Contains(sampler)));
        Assert.Contains("| temperature 0.8 → top-k 50 → top-p 0.9 → min-p 0.05 → draw | 12800 |", table);
    }

    [Fact]
    public void The_quick_kernel_benchmark_runs_every_kernel_and_writes_its_table()
    {
        string table = QuickTable("kernels");
        foreach (string kernel in new[] { "copy", "TensorPrimitives.SoftMax", "softmax", "log-softmax", "cross-entropy forward+backward" })
            Assert.Contains($"| {kernel} |", table);
        // Three shapes on one thread and on every core, five kernels each.
        int rows = table.Split('\n').Count(line => line.StartsWith("| ") && !line.StartsWith("| shape"));
        Assert.Equal(3 * 5 * (Environment.ProcessorCount > 1 ? 2 : 1), rows);
        // The machine line says what the vector unit sustained on one core and, with more, on all at once.
        Assert.Matches(Environment.ProcessorCount > 1
            ? $@"FMA throughput \d+ GFLOP/s on one core, \d+ on all {Environment.ProcessorCount} at once \(\d+\.\d\d× one\)"
            : @"FMA throughput \d+ GFLOP/s on one core \(measured\)", table);
    }

    [Fact]
    public void The_machine_probe_adds_up_its_threads_and_refuses_none()
    {
        double two = Multinoulli.Cli.Commands.MachineProbe.FusedMultiplyAddGigaflops(threads: 2, seconds: 0.02);
        Assert.True(double.IsFinite(two) && two > 0, $"two threads: {two} GFLOP/s");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Multinoulli.Cli.Commands.MachineProbe.FusedMultiplyAddGigaflops(threads: 0));
        Assert.Equal("threads", error.ParamName);
        Assert.Contains("0", error.Message);
    }
}
