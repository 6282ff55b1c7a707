using System.Globalization;

namespace Multinoulli.Cli;

/// <summary>Reads and writes logits as text: numbers separated by whitespace or commas.</summary>
public static class LogitText
{
    private static readonly char[] Separators = [' ', '\t', '\r', '\n', ','];

    /// <summary>Parses every number in <paramref name="tokens"/>; accepts inf, -inf, +inf, infinity and nan in any case.</summary>
    /// <exception cref="UsageException">A token is not a number.</exception>
    public static double[] Parse(IEnumerable<string> tokens, string source)
    {
        var values = new List<double>();
        foreach (var token in tokens.SelectMany(t => t.Split(Separators, StringSplitOptions.RemoveEmptyEntries)))
            values.Add(ParseOne(token, source));
        return values.ToArray();
    }

    private static double ParseOne(string token, string source)
    {
        switch (token.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity" or "+infinity" or "∞" or "+∞": return double.PositiveInfinity;
            case "-inf" or "-infinity" or "-∞": return double.NegativeInfinity;
            case "nan": return double.NaN;
        }
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return value;
        throw new UsageException($"'{token}' in {source} is not a number (expected decimal numbers such as 2, -0.5, 1e3, inf, -inf or nan).");
    }

    /// <summary>The shortest text that reads back as the same value: 0.5, 1E-300, -Infinity.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
