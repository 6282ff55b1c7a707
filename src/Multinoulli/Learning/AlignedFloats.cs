using System.Runtime.CompilerServices;

namespace Multinoulli.Learning;

/// <summary>
/// A pinned float buffer whose first element sits on a 64-byte boundary. A 512-bit load from an ordinary array
/// (16-byte aligned) straddles two cache lines every time; the training pass does nine million of them a pass.
/// </summary>
internal sealed class AlignedFloats
{
    private const int Alignment = 64;
    private readonly float[] _storage;
    private readonly int _offset;

    public unsafe AlignedFloats(int length)
    {
        _storage = GC.AllocateArray<float>(length + Alignment / sizeof(float), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref _storage[0]);
        _offset = (int)((Alignment - address % Alignment) % Alignment) / sizeof(float);
        Length = length;
    }

    public int Length { get; }

    public Span<float> Span => _storage.AsSpan(_offset, Length);
}
