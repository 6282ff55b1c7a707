namespace Multinoulli.Tests;

/// <summary>Saved models come back identical; every damaged file is refused with its name and the reason.</summary>
public class ModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("multinoulli-model-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static SoftmaxLayer Trained(Parameterization parameterization)
    {
        var random = new Random(1);
        var layer = new SoftmaxLayer(6, 4, parameterization, referenceClass: 2);
        var w = Enumerable.Range(0, 24).Select(i => i % 4 == layer.ReferenceClass ? 0f : (float)(random.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, 4).Select(i => i == layer.ReferenceClass ? 0f : (float)random.NextDouble()).ToArray();
        layer.SetParameters(w, b);
        return layer;
    }

    [Theory]
    [InlineData(Parameterization.Full)]
    [InlineData(Parameterization.Reference)]
    public void A_saved_layer_loads_back_bit_for_bit(Parameterization parameterization)
    {
        var layer = Trained(parameterization);
        string path = Path.Combine(_directory, "model.bin");
        layer.Save(path);
        layer.Save(path); // overwriting goes through the same rename
        var loaded = SoftmaxLayer.Load(path);
        Assert.Equal((layer.Features, layer.Classes, layer.Parameterization, layer.ReferenceClass), (loaded.Features, loaded.Classes, loaded.Parameterization, loaded.ReferenceClass));
        for (int f = 0; f < 6; f++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(layer.Weight(f, c), loaded.Weight(f, c));
        Assert.Equal(Enumerable.Range(0, 4).Select(layer.Bias), Enumerable.Range(0, 4).Select(loaded.Bias));
        Assert.Equal(["model.bin"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Truncated_corrupted_and_foreign_files_are_refused()
    {
        string path = Path.Combine(_directory, "model.bin");
        Trained(Parameterization.Full).Save(path);
        byte[] good = File.ReadAllBytes(path);

        void Refused(byte[] bytes, string reason)
        {
            string damaged = Path.Combine(_directory, "damaged.bin");
            File.WriteAllBytes(damaged, bytes);
            var error = Assert.Throws<InvalidDataException>(() => SoftmaxLayer.Load(damaged));
            Assert.Contains(damaged, error.Message);
            Assert.Contains(reason, error.Message);
        }

        Refused(good[..(good.Length - 10)], "truncated");
        var flipped = (byte[])good.Clone();
        flipped[40] ^= 0x10;
        Refused(flipped, "checksum");
        var version = (byte[])good.Clone();
        version[8] = 9;
        Refused(version, "version 9");
        Refused("not a model at all, just text"u8.ToArray(), "magic");
        Refused([], "magic");
    }
}
