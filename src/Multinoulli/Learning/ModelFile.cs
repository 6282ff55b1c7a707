using System.Buffers.Binary;
using System.Text;

namespace Multinoulli.Learning;

/// <summary>
/// The file format of a saved <see cref="SoftmaxLayer"/>, version 1, little-endian throughout:
/// <code>
/// offset  size             field
/// 0       8                magic "MNOULLI1" (ASCII)
/// 8       4                format version (1)
/// 12      4                features
/// 16      4                classes
/// 20      4                parameterization (0 full, 1 reference)
/// 24      4                reference class (−1 with full)
/// 28      4·features·classes  W, float32, row-major [features × classes]
/// …       4·classes        b, float32
/// end − 8 8                FNV-1a 64-bit hash of every byte before it
/// </code>
/// A file is written beside its destination under a temporary name and then renamed over it, so a crash leaves
/// either the old file or the new one, never half of one. Loading checks the magic, the version, the sizes against
/// the file's length, the hash and every value before anything is returned.
/// </summary>
internal static class ModelFile
{
    public const int Version = 1;
    private const int HeaderBytes = 28;
    private static ReadOnlySpan<byte> Magic => "MNOULLI1"u8;

    public static void Save(SoftmaxLayer layer, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int features = layer.Features, classes = layer.Classes;
        var bytes = new byte[HeaderBytes + 4L * (features + 1) * classes + 8];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), features);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), classes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), (int)layer.Parameterization);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), layer.ReferenceClass);
        var weights = new float[features * classes];
        var bias = new float[classes];
        layer.CopyParametersTo(weights, bias);
        int offset = HeaderBytes;
        foreach (float v in weights.Concat(bias))
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(offset), v);
            offset += 4;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), AtomicFile.Hash(bytes.AsSpan(0, offset)));
        AtomicFile.Write(path, bytes);
    }

    public static SoftmaxLayer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes + 8 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw Invalid(path, "it is not a Multinoulli model file (the magic bytes \"MNOULLI1\" are missing)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version) throw Invalid(path, $"format version {version} is not supported (this library reads version {Version})");
        int features = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        int classes = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        int parameterization = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        int reference = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
        if (features < 1 || classes < 2 || parameterization is < 0 or > 1)
            throw Invalid(path, $"the header is corrupt ({features} features, {classes} classes, parameterization {parameterization})");
        long expected = HeaderBytes + 4L * (features + 1) * classes + 8;
        if (bytes.LongLength != expected)
            throw Invalid(path, $"it holds {bytes.LongLength} bytes but a {features} × {classes} model needs {expected} (truncated or padded)");
        int end = bytes.Length - 8;
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(end)) != AtomicFile.Hash(bytes.AsSpan(0, end)))
            throw Invalid(path, "the checksum does not match: the file is corrupted");
        var values = new float[(features + 1) * classes];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(HeaderBytes + 4 * i));
        try
        {
            var layer = new SoftmaxLayer(features, classes, (Parameterization)parameterization, parameterization == 1 ? reference : null);
            layer.SetParameters(values.AsSpan(0, features * classes), values.AsSpan(features * classes));
            return layer;
        }
        catch (ArgumentException e)
        {
            throw Invalid(path, e.Message);
        }
    }

    private static InvalidDataException Invalid(string path, string reason) => new($"{path}: {reason}.");
}
