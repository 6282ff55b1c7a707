using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Multinoulli.Learning;

/// <summary>
/// The two loops of a linear layer over rows whose zeros are skipped: logits += x_f · W[f, :] forward, and
/// ∂W[f, :] += x_f · g backward. Weight rows are padded to a whole number of vectors, so both are full-vector
/// multiply-adds with no tail.
/// </summary>
internal static class LinearKernels
{
    private static int Width => Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector<float>.Count;

    /// <summary>The padded row length for <paramref name="classes"/> logits.</summary>
    public static int Stride(int classes) => (classes + Width - 1) / Width * Width;

    /// <summary>y += a · x over padded rows (both lengths a multiple of the vector width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(a);
            ref float source = ref Unsafe.AsRef(in x[0]);
            ref float target = ref y[0];
            for (int i = 0; i < y.Length; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(scale, Vector512.LoadUnsafe(ref source, (nuint)i), Vector512.LoadUnsafe(ref target, (nuint)i))
                    .StoreUnsafe(ref target, (nuint)i);
            return;
        }
        var s = new Vector<float>(a);
        for (int i = 0; i < y.Length; i += Vector<float>.Count)
            (new Vector<float>(y[i..]) + s * new Vector<float>(x[i..])).CopyTo(y[i..]);
    }

    /// <summary>
    /// logits = bias + Σ_f x_f W[f, :] over a dense row: its non-zeros are gathered, 1024 at a time, and go through
    /// the sparse kernel, so a dense row and the same row stored sparse give bit-identical logits (up to 1024
    /// non-zeros; beyond, the chunks are added in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> logits)
    {
        const int Chunk = 1024;
        Span<int> indices = stackalloc int[Chunk];
        Span<float> values = stackalloc float[Chunk];
        int count = 0;
        for (int f = 0; f < input.Length; f++)
        {
            if (input[f] == 0) continue;
            indices[count] = f;
            values[count++] = input[f];
            if (count == Chunk)
            {
                Forward(indices, values, weights, bias, logits);
                // Later chunks add to what the earlier ones left: the logits become the next chunk's bias.
                bias = logits.ToArray();
                count = 0;
            }
        }
        Forward(indices[..count], values[..count], weights, bias, logits);
    }

    /// <summary>logits = bias + Σ x_f W[f, :] over a sparse row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> logits)
    {
        int stride = logits.Length;
        if (Vector512.IsHardwareAccelerated && stride == Vector512<float>.Count)
        {
            // Up to 16 classes: the logits live in four registers (features taken in turn), not in memory, so a
            // multiply-add waits neither for a store nor for the one before it.
            ref float w = ref MemoryMarshal.GetReference(weights);
            ref int index = ref MemoryMarshal.GetReference(indices);
            ref float value = ref MemoryMarshal.GetReference(values);
            var a0 = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(bias));
            Vector512<float> a1 = default, a2 = default, a3 = default;
            int k = 0, n = indices.Length;
            for (; k + 3 < n; k += 4)
            {
                a0 = Term(ref w, ref index, ref value, k, stride, a0);
                a1 = Term(ref w, ref index, ref value, k + 1, stride, a1);
                a2 = Term(ref w, ref index, ref value, k + 2, stride, a2);
                a3 = Term(ref w, ref index, ref value, k + 3, stride, a3);
            }
            for (; k < n; k++) a0 = Term(ref w, ref index, ref value, k, stride, a0);
            ((a0 + a1) + (a2 + a3)).StoreUnsafe(ref logits[0]);
            return;
        }
        bias.CopyTo(logits);
        for (int k = 0; k < indices.Length; k++) AddScaled(values[k], weights.Slice(indices[k] * stride, stride), logits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Term(ref float weights, ref int index, ref float value, int k, int stride, Vector512<float> sum) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref value, k)),
            Vector512.LoadUnsafe(ref weights, (nuint)(Unsafe.Add(ref index, k) * stride)), sum);

    /// <summary>∂W[f, :] += x_f g over a sparse row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<float> gradient, Span<float> weightGradient)
    {
        int stride = gradient.Length;
        if (Vector512.IsHardwareAccelerated && stride == Vector512<float>.Count)
        {
            var g = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(gradient));
            ref float target = ref MemoryMarshal.GetReference(weightGradient);
            ref int index = ref MemoryMarshal.GetReference(indices);
            ref float value = ref MemoryMarshal.GetReference(values);
            for (int k = 0; k < indices.Length; k++)
            {
                nuint offset = (nuint)(Unsafe.Add(ref index, k) * stride);
                Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref value, k)), g, Vector512.LoadUnsafe(ref target, offset)).StoreUnsafe(ref target, offset);
            }
            return;
        }
        for (int k = 0; k < indices.Length; k++) AddScaled(values[k], gradient, weightGradient.Slice(indices[k] * stride, stride));
    }
}
