// The kernels stackalloc small per-row scratch (chunk shifts); every element is written before it is read,
// so zero-filling it on each row would be wasted work.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
