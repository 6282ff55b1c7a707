namespace Multinoulli.Cli.Commands;

/// <summary>
/// The decoding chain temperature → top-k → top-p → min-p → draw written the common way, with a full sort of the
/// row, as the baseline the selection-based <see cref="DecodingSampler"/> is measured against. Its buffers are kept
/// between calls, so the comparison is of the algorithms, not of allocation.
/// </summary>
public sealed class FullSortDecoder(double temperature, int topK, double topP, double minP)
{
    private float[] _keys = [];
    private int[] _classes = [];
    private double[] _weights = [];

    public int Sample(ReadOnlySpan<float> logits, Random random)
    {
        int n = logits.Length;
        if (_keys.Length < n)
        {
            _keys = new float[n];
            _classes = new int[n];
            _weights = new double[n];
        }
        // Sort by descending logit: negate the keys so that an ascending sort puts the best first.
        for (int i = 0; i < n; i++)
        {
            _keys[i] = -logits[i];
            _classes[i] = i;
        }
        Array.Sort(_keys, _classes, 0, n);
        double scale = 1 / temperature;
        int kept = Math.Min(topK, n);
        double top = -_keys[0], total = 0;
        for (int i = 0; i < kept; i++) total += _weights[i] = Math.Exp(scale * (-_keys[i] - top));
        double running = 0;
        for (int i = 0; i < kept; i++)
        {
            running += _weights[i];
            if (running >= topP * total)
            {
                kept = i + 1;
                break;
            }
        }
        // min-p relative to the top class; the classes are sorted, so it cuts a suffix.
        while (kept > 1 && _weights[kept - 1] < minP * _weights[0]) kept--;
        total = 0;
        for (int i = 0; i < kept; i++) total += _weights[i];
        double target = random.NextDouble() * total;
        running = 0;
        for (int i = 0; i < kept; i++)
        {
            running += _weights[i];
            if (running > target) return _classes[i];
        }
        return _classes[kept - 1];
    }
}
