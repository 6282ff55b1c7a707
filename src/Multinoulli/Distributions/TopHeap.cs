namespace Multinoulli.Distributions;

/// <summary>
/// Keeps the k best (key, index) pairs seen, in caller-owned storage: a min-heap whose root is the worst kept pair,
/// so a candidate that does not beat the root costs one comparison. A larger key is better; between equal keys the
/// lower index is, which makes every selection deterministic.
/// </summary>
internal ref struct TopHeap(Span<double> keys, Span<int> indices)
{
    private readonly Span<double> _keys = keys[..Math.Min(keys.Length, indices.Length)];
    private readonly Span<int> _indices = indices[..Math.Min(keys.Length, indices.Length)];
    private int _count;

    public readonly bool IsFull => _count == _keys.Length;

    /// <summary>The worst key kept once the heap is full: a later index needs a strictly larger key to get in.</summary>
    public readonly double Threshold => _keys[0];

    public void Offer(double key, int index)
    {
        if (_count < _keys.Length)
        {
            int child = _count++;
            while (child > 0)
            {
                int parent = (child - 1) >> 1;
                if (!Worse(key, index, _keys[parent], _indices[parent])) break;
                _keys[child] = _keys[parent];
                _indices[child] = _indices[parent];
                child = parent;
            }
            _keys[child] = key;
            _indices[child] = index;
        }
        else if (Worse(_keys[0], _indices[0], key, index))
        {
            SiftDown(key, index, _count);
        }
    }

    /// <summary>Sorts the kept pairs best first, in place, and returns how many there are.</summary>
    public int SortDescending()
    {
        // Heap sort: move the worst to the end, repeatedly.
        for (int end = _count - 1; end > 0; end--)
        {
            double key = _keys[end];
            int index = _indices[end];
            _keys[end] = _keys[0];
            _indices[end] = _indices[0];
            SiftDown(key, index, end);
        }
        return _count;
    }

    private readonly void SiftDown(double key, int index, int size)
    {
        int parent = 0;
        while (true)
        {
            int child = 2 * parent + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(_keys[child + 1], _indices[child + 1], _keys[child], _indices[child])) child++;
            if (!Worse(_keys[child], _indices[child], key, index)) break;
            _keys[parent] = _keys[child];
            _indices[parent] = _indices[child];
            parent = child;
        }
        _keys[parent] = key;
        _indices[parent] = index;
    }

    private static bool Worse(double key, int index, double otherKey, int otherIndex) =>
        key < otherKey || (key == otherKey && index > otherIndex);
}
