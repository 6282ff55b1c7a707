using Google.Protobuf;

namespace Multinoulli.Onnx;

/// <summary>
/// Writes a <see cref="SoftmaxLayer"/> as an ONNX model (IR version 8, opset 17) with one input and two outputs:
/// <c>input</c> float32 [N × features]; <c>probabilities</c> float32 [N × classes] = Softmax(input · W + b) and
/// <c>label</c> int64 [N] = ArgMax of the probabilities (ties: the first index, as ONNX's ArgMax). With a reference
/// class, its column of W and its bias are the stored zeros, so the graph is the same for both parameterizations.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX IR version written.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set the graph uses.</summary>
    public const long Opset = 17;

    /// <summary>The serialized ONNX model.</summary>
    public static byte[] ToBytes(SoftmaxLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        int features = layer.Features, classes = layer.Classes;
        var weights = new float[features * classes];
        var bias = new float[classes];
        layer.CopyParametersTo(weights, bias);

        var graph = new Proto()
            .Message(1, Node("MatMul", ["input", "W"], ["product"]))
            .Message(1, Node("Add", ["product", "b"], ["logits"]))
            .Message(1, Node("Softmax", ["logits"], ["probabilities"], ("axis", 1)))
            .Message(1, Node("ArgMax", ["probabilities"], ["label"], ("axis", 1), ("keepdims", 0)))
            .String(2, "multinoulli_softmax")
            .Message(5, Tensor("W", [features, classes], weights))
            .Message(5, Tensor("b", [classes], bias))
            .Message(11, Value("input", ElementFloat, [null, features]))
            .Message(12, Value("probabilities", ElementFloat, [null, classes]))
            .Message(12, Value("label", ElementInt64, [null]));
        return new Proto()
            .Int64(1, IrVersion)
            .String(2, "Multinoulli")
            .Message(7, graph)
            .Message(8, new Proto().String(1, "").Int64(2, Opset))
            .ToArray();
    }

    /// <summary>Writes the ONNX model to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(SoftmaxLayer layer, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, ToBytes(layer));
    }

    private const int ElementFloat = 1;
    private const int ElementInt64 = 7;
    private const int AttributeInt = 2;

    private static Proto Node(string op, string[] inputs, string[] outputs, params (string Name, long Value)[] attributes)
    {
        var node = new Proto();
        foreach (string input in inputs) node.String(1, input);
        foreach (string output in outputs) node.String(2, output);
        node.String(3, op.ToLowerInvariant()).String(4, op);
        foreach (var (name, value) in attributes)
            node.Message(5, new Proto().String(1, name).Int64(3, value).Int64(20, AttributeInt));
        return node;
    }

    private static Proto Tensor(string name, long[] dims, float[] values)
    {
        var tensor = new Proto();
        foreach (long d in dims) tensor.Int64(1, d);
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
        return tensor.Int64(2, ElementFloat).String(8, name).Bytes(9, raw);
    }

    /// <summary>A graph input or output: its name, element type and shape (null for the batch dimension "N").</summary>
    private static Proto Value(string name, int elementType, long?[] shape)
    {
        var dims = new Proto();
        foreach (long? d in shape)
            dims.Message(1, d is long size ? new Proto().Int64(1, size) : new Proto().String(2, "N"));
        var tensorType = new Proto().Int64(1, elementType).Message(2, dims);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    /// <summary>A protobuf message written field by field (ONNX's messages are few; no generated code needed).</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _buffer = new();
        private readonly CodedOutputStream _output;

        public Proto() => _output = new CodedOutputStream(_buffer, leaveOpen: true);

        public Proto Int64(int field, long value)
        {
            _output.WriteTag(field, WireFormat.WireType.Varint);
            _output.WriteInt64(value);
            return this;
        }

        public Proto String(int field, string value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteString(value);
            return this;
        }

        public Proto Bytes(int field, byte[] value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteBytes(ByteString.CopyFrom(value));
            return this;
        }

        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

        public byte[] ToArray()
        {
            _output.Flush();
            return _buffer.ToArray();
        }
    }
}
