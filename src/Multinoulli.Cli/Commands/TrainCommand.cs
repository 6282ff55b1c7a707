using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Multinoulli.Cli.Commands;

/// <summary><c>multinoulli train</c>: fits a softmax classifier and reports how good and how well calibrated it is.</summary>
public static class TrainCommand
{
    /// <summary>Exit code of a run interrupted by Ctrl+C (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var data = new DataOptions();
        var train = new Option<FileInfo?>("--train") { Description = "A CSV or LibSVM file of training rows (instead of --data or --dataset)." };
        var test = new Option<FileInfo?>("--test") { Description = "A CSV or LibSVM file of test rows, scored at the end." };
        var parameterization = new Option<string>("--parameterization") { Description = "full (one logit a class) or reference (the last class's logit fixed at 0).", DefaultValueFactory = _ => "full" };
        parameterization.AcceptOnlyFromAmong("full", "reference");
        var loss = new Option<string>("--loss") { Description = "nll (negative log-likelihood) or squared (squared error on the probabilities).", DefaultValueFactory = _ => "nll" };
        loss.AcceptOnlyFromAmong("nll", "squared");
        var l2 = new Option<double>("--l2") { Description = "λ of the penalty ½λ‖W‖² (biases are not penalised).", DefaultValueFactory = _ => 1e-4 };
        var optimizer = new Option<string>("--optimizer") { Description = "lbfgs (full batch, deterministic), adam or sgd (mini-batches).", DefaultValueFactory = _ => "lbfgs" };
        optimizer.AcceptOnlyFromAmong("lbfgs", "adam", "sgd");
        var maxIterations = new Option<int>("--max-iterations") { Description = "L-BFGS: the most iterations.", DefaultValueFactory = _ => 1000 };
        var epochs = new Option<int>("--epochs") { Description = "adam/sgd: passes over the training rows.", DefaultValueFactory = _ => 20 };
        var batchSize = new Option<int>("--batch-size") { Description = "adam/sgd: rows a step.", DefaultValueFactory = _ => 128 };
        var learningRate = new Option<double?>("--learning-rate") { Description = "adam/sgd: the step size (default 1e-3 for adam, 0.1 for sgd)." };
        var validationSplit = new Option<double>("--validation-split") { Description = "adam/sgd: the fraction of training rows held out for early stopping (0 for none).", DefaultValueFactory = _ => 0.1 };
        var patience = new Option<int>("--patience") { Description = "adam/sgd: epochs without a better validation log-loss before stopping (0: never).", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the shuffling and of the validation split.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "The most threads (-1: every core).", DefaultValueFactory = _ => -1 };
        var model = new Option<FileInfo?>("--model", "-m") { Description = "Save the trained model to this file." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "Write a checkpoint here while training (after every block or every 10 s, and on Ctrl+C)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the --checkpoint file of an interrupted run of the same command." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write report.html with figures (objective, accuracy, reliability, confusion, confidence) into this folder." };

        var command = new Command("train", """
            Trains a softmax classifier (multinomial logistic regression) by maximum likelihood and prints its
            accuracy, log-loss, Brier score and calibration error on the training and test rows. With no data
            option it trains on the built-in 8×8 digits.

            Examples:
              multinoulli train
              multinoulli train --data ../shared/data/mnist --model mnist.model
              multinoulli train --train data.csv --test test.csv --label species --optimizer adam --epochs 50
              multinoulli train --train text.svm --parameterization reference --json
              multinoulli train --optimizer adam --report report
              multinoulli train --optimizer adam --epochs 500 --checkpoint run.ckpt      (Ctrl+C, then add --resume)
            """);
        data.AddTo(command);
        foreach (var option in new Option[] { train, test, parameterization, loss, l2, optimizer, maxIterations, epochs, batchSize, learningRate, validationSplit, patience, seed, threads, model, checkpoint, resume, json, report })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var (trainData, testData) = Load(parse, data, train, test);
            int classes = Math.Max(2, trainData.Labels.Concat(testData?.Labels ?? []).DefaultIfEmpty(0).Max() + 1);
            string kind = parse.GetValue(optimizer)!;
            double lambda = parse.GetValue(l2);
            if (!(lambda >= 0 && double.IsFinite(lambda))) throw new UsageException($"--l2 must be finite and at least 0; got {lambda.ToString(CultureInfo.InvariantCulture)}.");
            int threadCount = parse.GetValue(threads);
            if (threadCount == 0 || threadCount < -1) throw new UsageException($"--threads must be -1 or positive; got {threadCount}.");
            var objective = new TrainingOptions
            {
                L2 = lambda,
                Loss = parse.GetValue(loss) == "squared" ? TrainingLoss.SquaredError : TrainingLoss.NegativeLogLikelihood,
                Parameterization = parse.GetValue(parameterization) == "reference" ? Parameterization.Reference : Parameterization.Full,
                MaxIterations = Positive(parse.GetValue(maxIterations), "--max-iterations"),
                MaxDegreeOfParallelism = threadCount,
                CheckpointPath = kind == "lbfgs" ? parse.GetValue(checkpoint)?.FullName : null,
            };
            string? checkpointPath = parse.GetValue(checkpoint)?.FullName;
            bool resuming = parse.GetValue(resume);
            if (resuming && checkpointPath is null) throw new UsageException("--resume needs --checkpoint PATH, the file the interrupted run wrote.");
            if (resuming && !File.Exists(checkpointPath)) throw new UsageException($"--resume: {checkpointPath} does not exist; there is nothing to resume.");
            if (!resuming && checkpointPath is not null && File.Exists(checkpointPath))
                throw new UsageException($"--checkpoint {checkpointPath} already exists: add --resume to continue that run, or delete the file to start over.");
            using var cancellation = new CancellationTokenSource();
            ConsoleCancelEventHandler interrupt = (_, e) =>
            {
                e.Cancel = true;
                cancellation.Cancel();
            };
            Console.CancelKeyPress += interrupt;
            var history = new List<TrainingProgress>();
            TrainingResult result;
            try
            {
                if (kind == "lbfgs")
                {
                    result = WithProgress($"L-BFGS on {trainData.Name}", objective.MaxIterations, "iteration",
                        progress => new LbfgsTrainer(objective).Fit(trainData.Features, trainData.Labels, classes, progress: Recording(progress, history), cancellationToken: cancellation.Token));
                }
                else
                {
                    double split = parse.GetValue(validationSplit);
                    if (!(split >= 0 && split < 1)) throw new UsageException($"--validation-split must lie in [0, 1); got {split.ToString(CultureInfo.InvariantCulture)}.");
                    var (fit, validation) = Split(trainData, split, parse.GetValue(seed));
                    var options = new MiniBatchOptions
                    {
                        Optimizer = kind == "adam" ? Optimizer.Adam : Optimizer.SgdMomentum,
                        LearningRate = parse.GetValue(learningRate) ?? (kind == "adam" ? 1e-3 : 0.1),
                        Epochs = Positive(parse.GetValue(epochs), "--epochs"),
                        BatchSize = Positive(parse.GetValue(batchSize), "--batch-size"),
                        Patience = validation is null ? 0 : Math.Max(0, parse.GetValue(patience)),
                        Seed = parse.GetValue(seed),
                        CheckpointPath = checkpointPath,
                    };
                    result = WithProgress($"{kind} on {fit.Name}", options.Epochs, "epoch",
                        progress => new MiniBatchTrainer(objective, options).Fit(new InMemoryDataSource(fit.Features, fit.Labels), classes,
                            validation is null ? null : new InMemoryDataSource(validation.Features, validation.Labels), Recording(progress, history), cancellation.Token));
                }
            }
            finally
            {
                Console.CancelKeyPress -= interrupt;
            }
            if (result.StopReason == StopReason.Cancelled)
            {
                Console.Error.WriteLine(checkpointPath is null
                    ? "multinoulli: interrupted; nothing was saved (pass --checkpoint PATH to be able to resume)."
                    : $"multinoulli: interrupted; the checkpoint {checkpointPath} holds the progress: run the same command with --resume to continue.");
                return Interrupted;
            }
            if (parse.GetValue(model) is { } modelFile) result.Layer.Save(modelFile.FullName);
            var trainReport = TrainingReport.Score(result.Layer, trainData);
            var testReport = testData is null ? null : TrainingReport.Score(result.Layer, testData);
            string? reportPath = parse.GetValue(report) is { } folder
                ? HtmlReport.Write(folder, $"multinoulli train: {kind} on {trainData.Name}", history, result, trainData, trainReport, testData, testReport)
                : null;
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(TrainingReport.Serialize(new
                {
                    objective = double.IsFinite(result.Objective) ? result.Objective : (double?)null,
                    iterations = result.Iterations,
                    seconds = result.Elapsed.TotalSeconds,
                    stopReason = result.StopReason.ToString(),
                    resumed = resuming,
                    classes,
                    features = result.Layer.Features,
                    train = TrainingReport.Json(trainReport),
                    test = testReport is null ? null : TrainingReport.Json(testReport),
                    report = reportPath,
                }));
                return 0;
            }
            var parts = new List<(string, ClassificationReport)> { (trainData.Name, trainReport) };
            if (testReport is not null) parts.Add((testData!.Name, testReport));
            TrainingReport.WriteTable(Console.Out, parts);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kind}: {result.Iterations} {(kind == "lbfgs" ? "iterations" : "steps")}, {result.Elapsed.TotalSeconds:F2} s, stopped on {result.StopReason}; objective {result.Objective:F6}{(resuming ? " (resumed from the checkpoint)" : "")}."));
            if (parse.GetValue(model) is { } saved) Console.Out.WriteLine($"Model saved to {saved.FullName}.");
            if (reportPath is not null) Console.Out.WriteLine($"Report written to {reportPath}.");
            return 0;
        });
        return command;
    }

    private static IProgress<TrainingProgress> Recording(IProgress<TrainingProgress> inner, List<TrainingProgress> history) =>
        new Reporter(p =>
        {
            history.Add(p);
            inner.Report(p);
        });

    private static int Positive(int value, string option) => value >= 1 ? value : throw new UsageException($"{option} must be at least 1; got {value}.");

    private static (LabelledData Train, LabelledData? Test) Load(ParseResult parse, DataOptions data, Option<FileInfo?> train, Option<FileInfo?> test)
    {
        if (parse.GetValue(train) is { } trainFile)
        {
            if (parse.GetValue(data.Folder) is not null || parse.GetValue(data.Dataset) is not null)
                throw new UsageException("--train cannot be combined with --data or --dataset.");
            var testFile = parse.GetValue(test);
            return (data.LoadFile(parse, trainFile), testFile is null ? null : data.LoadFile(parse, testFile));
        }
        if (parse.GetValue(test) is not null) throw new UsageException("--test needs --train.");
        var split = data.LoadSplit(parse) ?? DataOptions.Digits();
        return (split.Train, split.Test);
    }

    /// <summary>Holds out a seeded random fraction of the rows for validation.</summary>
    private static (LabelledData Fit, LabelledData? Validation) Split(LabelledData data, double fraction, int seed)
    {
        int held = (int)(data.Labels.Length * fraction);
        if (held == 0) return (data, null);
        var order = Enumerable.Range(0, data.Labels.Length).ToArray();
        new Random(seed).Shuffle(order);
        LabelledData Part(int[] rows, string suffix) => new(data.Features.SelectRows(rows), rows.Select(r => data.Labels[r]).ToArray(), data.Name + suffix);
        return (Part(order[held..], ""), Part(order[..held], " (validation)"));
    }

    /// <summary>Runs training under a live progress bar on a terminal, or plain progress lines on standard error.</summary>
    private static TrainingResult WithProgress(string title, int total, string unit, Func<IProgress<TrainingProgress>, TrainingResult> run)
    {
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected || !error.Profile.Capabilities.Interactive)
        {
            return run(new Reporter(p =>
            {
                int step = unit == "epoch" ? p.Epoch : p.Iteration;
                if (unit == "epoch" || step % 10 == 0 || step == 1)
                    Console.Error.WriteLine(Line(unit, step, total, p));
            }));
        }
        TrainingResult? result = null;
        error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                result = run(new Reporter(p =>
                {
                    int step = unit == "epoch" ? p.Epoch : p.Iteration;
                    task.Value = step;
                    task.Description = Markup.Escape(Line(unit, step, total, p));
                }));
                task.Value = total;
            });
        return result!;
    }

    private static string Line(string unit, int step, int total, TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{unit} {step}/{total}: objective {p.Objective:F6}{(p.Validation is { } v ? $", validation accuracy {v.Accuracy:P2}" : "")}, {p.Elapsed.TotalSeconds:F1} s");

    private sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
