using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Multinoulli.Cli.Commands;

/// <summary>
/// What the vector unit of this machine sustains, so the kernel figures can be read against it: a kernel that
/// needs N floating-point instructions an element cannot run faster than N / (vector operations a second).
/// </summary>
public static class MachineProbe
{
    /// <summary>float32 GFLOP/s of eight independent chains of fused multiply-adds at the widest vector width.</summary>
    public static double FusedMultiplyAddGigaflops(double seconds = 0.3)
    {
        long iterations = 1 << 20;
        Chains(1000, Vector512.Create(0.999999f), Vector512.Create(1e-7f));
        var watch = Stopwatch.StartNew();
        long done = 0;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            Chains(iterations, Vector512.Create(0.999999f), Vector512.Create(1e-7f));
            done += iterations;
        }
        // 8 FMAs an iteration, each 2 flops on every lane.
        return done * 8.0 * 2 * Vector512<float>.Count / watch.Elapsed.TotalSeconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations, Vector512<float> b, Vector512<float> c)
    {
        var a0 = b; var a1 = c; var a2 = b + c; var a3 = b - c; var a4 = b * c; var a5 = b * b; var a6 = c * c; var a7 = b + b;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, b, c); a1 = Vector512.FusedMultiplyAdd(a1, b, c);
            a2 = Vector512.FusedMultiplyAdd(a2, b, c); a3 = Vector512.FusedMultiplyAdd(a3, b, c);
            a4 = Vector512.FusedMultiplyAdd(a4, b, c); a5 = Vector512.FusedMultiplyAdd(a5, b, c);
            a6 = Vector512.FusedMultiplyAdd(a6, b, c); a7 = Vector512.FusedMultiplyAdd(a7, b, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }
}
