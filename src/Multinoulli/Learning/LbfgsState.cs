using System.Buffers.Binary;

namespace Multinoulli.Learning;

/// <summary>
/// What L-BFGS carries from one iteration to the next: the point, its value and gradient, the curvature pairs
/// (oldest first), the counters. Saved atomically with a checksum and a fingerprint of the problem, so a run
/// resumes only the problem it belongs to, and continues with exactly the iterates it would have produced.
/// </summary>
internal sealed class LbfgsState
{
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "MNOULLBF"u8;

    public required double[] X { get; init; }
    public required double[] Gradient { get; init; }
    public double Value { get; set; }
    public int Iteration { get; set; }
    public int Evaluations { get; set; }
    public TimeSpan Elapsed { get; set; }

    /// <summary>The stored (s, y, ρ) pairs, oldest first.</summary>
    public List<(double[] S, double[] Y, double Rho)> Pairs { get; init; } = [];

    public void Save(string path, ulong fingerprint, int history)
    {
        int n = X.Length;
        long size = 8 + 4 * 5 + 8 * 3 + 16L * n + Pairs.Count * 8L * (1 + 2L * n) + 8;
        if (size > Array.MaxLength) throw new InvalidOperationException($"An L-BFGS checkpoint of {size} bytes is too large for one file; lower History.");
        var bytes = new byte[size];
        Magic.CopyTo(bytes);
        int at = 8;
        foreach (int v in new[] { Version, n, history, Iteration, Evaluations })
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), v);
            at += 4;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), fingerprint);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 8), Value);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 16), Elapsed.Ticks);
        at += 24;
        at = Write(bytes, at, X);
        at = Write(bytes, at, Gradient);
        foreach (var (s, y, rho) in Pairs)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), rho);
            at = Write(bytes, at + 8, s);
            at = Write(bytes, at, y);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), AtomicFile.Hash(bytes.AsSpan(0, at)));
        AtomicFile.Write(path, bytes);
    }

    public static LbfgsState Load(string path, ulong fingerprint, int parameters, int history)
    {
        byte[] bytes = File.ReadAllBytes(path);
        InvalidDataException Invalid(string reason) => new($"{path}: {reason}; delete it to start over.");
        const int header = 8 + 4 * 5 + 8 * 3;
        if (bytes.Length < header + 8 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw Invalid("not a Multinoulli L-BFGS checkpoint");
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8)) != AtomicFile.Hash(bytes.AsSpan(0, bytes.Length - 8)))
            throw Invalid("the checksum does not match: the file is damaged");
        var ints = new int[5];
        for (int i = 0; i < 5; i++) ints[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8 + 4 * i));
        if (ints[0] != Version) throw Invalid($"checkpoint version {ints[0]} is not supported");
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(28)) != fingerprint || ints[1] != parameters || ints[2] != history)
            throw new ArgumentException($"The checkpoint {path} belongs to another problem (other data, shape, objective or history); delete it or pass another path.");
        int n = parameters;
        long pairBytes = 8L * (1 + 2 * n);
        long rest = bytes.Length - header - 16L * n - 8;
        if (rest < 0 || rest % pairBytes != 0 || rest / pairBytes > history) throw Invalid("its size does not fit its header");
        int at = header;
        var state = new LbfgsState
        {
            X = Read(bytes, ref at, n),
            Gradient = Read(bytes, ref at, n),
            Value = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(36)),
            Elapsed = TimeSpan.FromTicks(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(44))),
            Iteration = ints[3],
            Evaluations = ints[4],
        };
        for (long k = 0; k < rest / pairBytes; k++)
        {
            double rho = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at));
            at += 8;
            state.Pairs.Add((Read(bytes, ref at, n), Read(bytes, ref at, n), rho));
        }
        return state;
    }

    private static int Write(byte[] bytes, int at, double[] values)
    {
        foreach (double v in values)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), v);
            at += 8;
        }
        return at;
    }

    private static double[] Read(byte[] bytes, ref int at, int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++, at += 8) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at));
        return values;
    }
}
