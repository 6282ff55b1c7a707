namespace Multinoulli.Distributions;

/// <summary>
/// Uniform variates with the full 53 bits of a double. A sampler that needs one variate takes it from the caller's
/// <see cref="Random"/>; one that needs many (one a class) takes a single 64-bit seed from it and runs a
/// <see cref="SplitMix64"/> stream, because a seeded <see cref="Random"/> costs tens of nanoseconds a call.
/// </summary>
internal static class RandomBits
{
    private const double Ulp53 = 1.0 / (1L << 53);

    /// <summary>A uniform double in [0, 1) on the grid k · 2⁻⁵³. <see cref="Random.NextDouble"/> of a seeded
    /// <see cref="Random"/> has only 31 random bits, too coarse for a class of probability 1e-10.</summary>
    public static double Uniform(Random random) => (random.NextInt64() >> 10) * Ulp53;

    /// <summary>A fast stream for the many variates of one call, seeded by one draw of the caller's generator.</summary>
    public static SplitMix64 Stream(Random random) => new((ulong)random.NextInt64());

    /// <summary>A standard Gumbel variate, −log(−log u): adding one to each logit and taking the arg max draws a class.</summary>
    public static double Gumbel(double openUniform) => -Math.Log(-Math.Log(openUniform));

    public static double Uniform(ref SplitMix64 generator) => (generator.Next() >> 11) * Ulp53;

    /// <summary>A uniform double in (0, 1): the midpoints (k + ½) · 2⁻⁵³, so that log(u) is always finite.</summary>
    public static double OpenUniform(ref SplitMix64 generator) => ((generator.Next() >> 11) + 0.5) * Ulp53;

    /// <summary>An unbiased integer in [0, n) by Lemire's multiply-and-reject: no division on the common path.</summary>
    public static int Below(ref SplitMix64 generator, int n)
    {
        ulong product = Math.BigMul(generator.Next(), (ulong)n, out ulong low);
        if (low < (ulong)n)
        {
            // Reject the few low words that would give the first (2⁶⁴ mod n) results one extra chance.
            ulong threshold = (0 - (ulong)n) % (ulong)n;
            while (low < threshold) product = Math.BigMul(generator.Next(), (ulong)n, out low);
        }
        return (int)product;
    }
}

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, and a stream per row of a batch, seeded from
/// (seed, row) so that the draws do not depend on how the rows are split over threads.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong _state = state;

    /// <summary>The generator of one row: the seed and the row are mixed so that neighbouring rows are unrelated.</summary>
    public static SplitMix64 ForRow(ulong seed, long row)
    {
        var mixer = new SplitMix64(seed ^ Mix((ulong)row * Golden + 0xD1B54A32D192ED03));
        return new SplitMix64(mixer.Next());
    }

    public ulong Next()
    {
        _state += Golden;
        return Mix(_state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
