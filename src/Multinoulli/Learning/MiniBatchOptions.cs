namespace Multinoulli;

/// <summary>How a <see cref="MiniBatchTrainer"/> steps through the data. The objective itself (loss, penalty,
/// parameterization) comes from <see cref="TrainingOptions"/>.</summary>
public sealed record MiniBatchOptions
{
    private readonly double _learningRate = 1e-3;
    private readonly int _batchSize = 256;
    private readonly int _epochs = 10;
    private readonly double _momentum = 0.9;
    private readonly int _patience = 3;

    /// <summary>The defaults below.</summary>
    public static MiniBatchOptions Default { get; } = new();

    /// <summary>Adam (default) or SGD with momentum.</summary>
    public Optimizer Optimizer { get; init; }

    /// <summary>The step size η; positive and finite. Default 1e-3 (suits Adam; SGD usually wants about 0.1).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = value > 0 && double.IsFinite(value) ? value : Refuse(value, nameof(LearningRate), "Positive and finite.");
    }

    /// <summary>Rows a step; default 256.</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = value >= 1 ? value : (int)Refuse(value, nameof(BatchSize), "At least 1.");
    }

    /// <summary>Passes over the training data; default 10.</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = value >= 1 ? value : (int)Refuse(value, nameof(Epochs), "At least 1.");
    }

    /// <summary>μ of SGD with momentum, in [0, 1); default 0.9. Adam uses β₁ = 0.9, β₂ = 0.999, ε = 1e-8.</summary>
    public double Momentum
    {
        get => _momentum;
        init => _momentum = value >= 0 && value < 1 ? value : Refuse(value, nameof(Momentum), "In [0, 1).");
    }

    /// <summary>Stop after this many epochs without a lower validation log-loss, keeping the best epoch's
    /// parameters; 0 turns early stopping off. Default 3. Needs validation data.</summary>
    public int Patience
    {
        get => _patience;
        init => _patience = value >= 0 ? value : (int)Refuse(value, nameof(Patience), "At least 0.");
    }

    /// <summary>The seed of the row shuffling (within each block). The same seed, data and options give the same
    /// parameters, whatever the thread count and however often the run was interrupted and resumed.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// A checkpoint file, written (atomically) after every block and at the end of every epoch. If it exists when
    /// training starts, training resumes from it: an interrupted run loses at most one block of work. Default none.
    /// </summary>
    public string? CheckpointPath { get; init; }

    private static double Refuse<TValue>(TValue value, string name, string requirement)
    {
        ThrowHelper.OutOfRange(name, value, requirement);
        return 0;
    }
}
