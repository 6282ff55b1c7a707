using System.Buffers.Binary;

namespace Multinoulli.Learning;

/// <summary>
/// Everything a mini-batch run needs to go on exactly where it stopped: the position (epoch, next block, step),
/// the parameters, both moment estimates, the early-stopping state with its best parameters, and the settings
/// that must not change across a resume. Little-endian, with an FNV-1a checksum; written atomically.
/// </summary>
internal sealed class Checkpoint
{
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "MNOULLCK"u8;

    public required int Features { get; init; }
    public required int Classes { get; init; }
    public required int Parameterization { get; init; }
    public required int ReferenceClass { get; init; }
    public required int Optimizer { get; init; }
    public required int BatchSize { get; init; }
    public required int Seed { get; init; }
    public required double LearningRate { get; init; }
    public int Epoch { get; set; }
    public int NextBlock { get; set; }
    public long Step { get; set; }
    public double EpochLoss { get; set; }
    public long EpochRows { get; set; }
    public double BestLoss { get; set; } = double.PositiveInfinity;
    public int EpochsWithoutImprovement { get; set; }
    public required float[] Parameters { get; init; }
    public required float[] FirstMoment { get; init; }
    public required float[] SecondMoment { get; init; }
    public float[]? Best { get; set; }

    /// <summary>Whether a run with these settings may continue from <paramref name="saved"/>.</summary>
    public string? Mismatch(Checkpoint saved)
    {
        if ((saved.Features, saved.Classes, saved.Parameterization, saved.ReferenceClass) != (Features, Classes, Parameterization, ReferenceClass))
            return $"it is for a {saved.Features} × {saved.Classes} model, this run trains {Features} × {Classes} (or another parameterization)";
        if ((saved.Optimizer, saved.BatchSize, saved.Seed, saved.LearningRate) != (Optimizer, BatchSize, Seed, LearningRate))
            return "it was written with another optimizer, batch size, seed or learning rate";
        return null;
    }

    public void Save(string path)
    {
        int p = Parameters.Length;
        var bytes = new byte[8 + 4 * 10 + 8 * 5 + 4 * p * 3 + 4 + (Best is null ? 0 : 4 * p) + 8];
        int at = 0;
        Magic.CopyTo(bytes);
        at += 8;
        foreach (int v in new[] { Version, Features, Classes, Parameterization, ReferenceClass, Optimizer, BatchSize, Seed, Epoch, NextBlock })
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), v);
            at += 4;
        }
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), Step);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), EpochRows);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 16), LearningRate);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 24), EpochLoss);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 32), BestLoss);
        at += 40;
        foreach (var array in new[] { Parameters, FirstMoment, SecondMoment })
            at = WriteFloats(bytes, at, array);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), Best is null ? -1 : EpochsWithoutImprovement);
        at += 4;
        if (Best is not null) at = WriteFloats(bytes, at, Best);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), AtomicFile.Hash(bytes.AsSpan(0, at)));
        AtomicFile.Write(path, bytes);
    }

    public static Checkpoint Load(string path, int parameterCount)
    {
        byte[] bytes = File.ReadAllBytes(path);
        InvalidDataException Invalid(string reason) => new($"{path}: {reason}; delete it to start over.");
        if (bytes.Length < 8 + 40 + 40 + 8 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw Invalid("not a Multinoulli checkpoint");
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8)) != AtomicFile.Hash(bytes.AsSpan(0, bytes.Length - 8)))
            throw Invalid("the checksum does not match: the file is damaged");
        var ints = new int[10];
        for (int i = 0; i < 10; i++) ints[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8 + 4 * i));
        if (ints[0] != Version) throw Invalid($"checkpoint version {ints[0]} is not supported");
        int at = 48;
        long step = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
        long epochRows = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8));
        double learningRate = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at + 16));
        double epochLoss = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at + 24));
        double bestLoss = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at + 32));
        at += 40;
        long expectedWithout = at + 12L * parameterCount + 4 + 8;
        if (bytes.Length != expectedWithout && bytes.Length != expectedWithout + 4L * parameterCount)
            throw Invalid($"its size ({bytes.Length} bytes) does not fit a model of {parameterCount} padded parameters");
        var arrays = new float[3][];
        for (int a = 0; a < 3; a++) (arrays[a], at) = ReadFloats(bytes, at, parameterCount);
        int badEpochs = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        at += 4;
        float[]? best = null;
        if (badEpochs >= 0) (best, _) = ReadFloats(bytes, at, parameterCount);
        return new Checkpoint
        {
            Features = ints[1], Classes = ints[2], Parameterization = ints[3], ReferenceClass = ints[4], Optimizer = ints[5],
            BatchSize = ints[6], Seed = ints[7], Epoch = ints[8], NextBlock = ints[9], Step = step, EpochRows = epochRows,
            LearningRate = learningRate, EpochLoss = epochLoss, BestLoss = bestLoss, EpochsWithoutImprovement = Math.Max(0, badEpochs),
            Parameters = arrays[0], FirstMoment = arrays[1], SecondMoment = arrays[2], Best = best,
        };
    }

    private static int WriteFloats(byte[] bytes, int at, float[] values)
    {
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), v);
            at += 4;
        }
        return at;
    }

    private static (float[] Values, int At) ReadFloats(byte[] bytes, int at, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++, at += 4) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at));
        return (values, at);
    }
}
