namespace Multinoulli.Learning;

/// <summary>Writes a file through a temporary sibling and a rename, and hashes its content, for model and checkpoint files.</summary>
internal static class AtomicFile
{
    /// <summary>A crash leaves the old file or the new one, never half of one.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>FNV-1a, 64 bits: enough to tell a damaged file from a good one.</summary>
    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in bytes) hash = (hash ^ b) * 1099511628211;
        return hash;
    }
}
