namespace Multinoulli;

/// <summary>
/// What a trainer minimises and when it stops. The objective, exactly:
/// <c>Σᵣ sᵣ ℓ(zᵣ, yᵣ) / Σᵣ sᵣ + ½ λ ‖W‖²</c>, where sᵣ is the sample weight (1 by default), ℓ the per-sample
/// <see cref="Loss"/> (with <see cref="ClassWeights"/> and <see cref="LabelSmoothing"/> applied inside it, as in
/// <see cref="CrossEntropy"/>), λ = <see cref="L2"/>, and ‖W‖² the sum of squares of every weight; the biases are
/// not penalised.
/// </summary>
public sealed record TrainingOptions
{
    private readonly double _l2;
    private readonly int _maxIterations = 1000;
    private readonly double _gradientTolerance = 1e-6;
    private readonly double _relativeImprovementTolerance = 1e-10;
    private readonly int? _history;
    private readonly int _maxDegreeOfParallelism = -1;
    private readonly TimeSpan _checkpointInterval = TimeSpan.FromSeconds(10);

    /// <summary>The defaults below.</summary>
    public static TrainingOptions Default { get; } = new();

    /// <summary>λ, the L2 penalty on the weights (not the biases). Non-negative and finite; default 0.</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = value >= 0 && double.IsFinite(value) ? value : Refuse(value, nameof(L2), "λ must be finite and ≥ 0.");
    }

    /// <summary>The per-sample loss; default negative log-likelihood.</summary>
    public TrainingLoss Loss { get; init; }

    /// <summary>Full or reference-class parameterization; default full.</summary>
    public Parameterization Parameterization { get; init; }

    /// <summary>The class fixed at logit 0 with <see cref="Parameterization.Reference"/>; default the last.</summary>
    public int? ReferenceClass { get; init; }

    /// <summary>One weight a class, inside the negative log-likelihood; default none.</summary>
    public double[]? ClassWeights { get; init; }

    /// <summary>Label smoothing ε in [0, 1) for the negative log-likelihood; default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>The most iterations; default 1000.</summary>
    public int MaxIterations
    {
        get => _maxIterations;
        init => _maxIterations = value >= 1 ? value : (int)Refuse(value, nameof(MaxIterations), "At least 1.");
    }

    /// <summary>Stop when the largest gradient component is at most this; default 1e-6.</summary>
    public double GradientTolerance
    {
        get => _gradientTolerance;
        init => _gradientTolerance = value >= 0 && double.IsFinite(value) ? value : Refuse(value, nameof(GradientTolerance), "Finite and ≥ 0.");
    }

    /// <summary>Stop when an iteration lowers the objective by at most this fraction of it; default 1e-10.</summary>
    public double RelativeImprovementTolerance
    {
        get => _relativeImprovementTolerance;
        init => _relativeImprovementTolerance = value >= 0 && double.IsFinite(value) ? value : Refuse(value, nameof(RelativeImprovementTolerance), "Finite and ≥ 0.");
    }

    /// <summary>
    /// L-BFGS memory: the number of recent steps kept. Default (null): as many as fit in 256 MB (two vectors of
    /// parameters a step), between 10 and 200. More memory, fewer iterations: on MNIST 10 steps need about 330
    /// iterations to come within 1e-6 of the optimum, 160 or more about 120.
    /// </summary>
    public int? History
    {
        get => _history;
        init => _history = value is null or >= 1 ? value : (int)Refuse(value, nameof(History), "At least 1 (or null for automatic).");
    }

    /// <summary>The memory to use for <paramref name="parameters"/> parameters.</summary>
    internal int HistoryFor(int parameters) =>
        _history ?? (int)Math.Clamp((256L << 20) / (2L * sizeof(double) * Math.Max(parameters, 1)), 10, 200);

    /// <summary>The most threads a data pass may use; −1 (default) for every core. Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init => _maxDegreeOfParallelism = Kernels.RowParallel.CheckedDegree(value, nameof(MaxDegreeOfParallelism));
    }

    /// <summary>
    /// L-BFGS only: a checkpoint file, written atomically at most every <see cref="CheckpointInterval"/>. If it exists
    /// when training starts, training resumes from it and continues with exactly the iterates the interrupted run
    /// would have produced; a checkpoint of another problem (data, shape, objective) is refused. Default none.
    /// (<see cref="MiniBatchOptions.CheckpointPath"/> is the mini-batch trainers' own.)
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>The least time between two L-BFGS checkpoints; default 10 s. Zero writes one every iteration.</summary>
    public TimeSpan CheckpointInterval
    {
        get => _checkpointInterval;
        init
        {
            if (value < TimeSpan.Zero) ThrowHelper.OutOfRange(nameof(CheckpointInterval), value, "Zero or more.");
            _checkpointInterval = value;
        }
    }

    private static double Refuse<TValue>(TValue value, string name, string requirement)
    {
        ThrowHelper.OutOfRange(name, value, requirement);
        return 0;
    }
}
