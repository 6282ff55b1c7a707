namespace Multinoulli.Benchmarks;

/// <summary>The float32 batches the kernel benchmarks share: a "rowsxclasses" shape, logits uniform in [−10, 10), a label a row.</summary>
internal static class Batches
{
    public static (int Rows, int Classes) Parse(string shape)
    {
        var parts = shape.Split('x');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Logits then labels, drawn in that order from one seeded generator, so every run times the same data.</summary>
    public static (float[] Logits, int[] Labels) Draw(int rows, int classes)
    {
        var random = new Random(42);
        var logits = new float[(long)rows * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 20 - 10);
        var labels = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
        return (logits, labels);
    }
}
