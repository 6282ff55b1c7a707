using Multinoulli.Cli.Explain;

namespace Multinoulli.Tests;

/// <summary>Each claim of `multinoulli explain`, asserted on the experiment itself, so a regression breaks the report loudly.</summary>
public class ExplainTests
{
    [Fact]
    public void The_naive_softmax_overflows_where_the_stable_one_does_not()
    {
        var n = Experiments.ExponentiateAndNormalise().Numbers;
        Assert.Equal(88.72, n["floatOverflowLogit"], 2);
        Assert.Equal(709.78, n["doubleOverflowLogit"], 2);
        Assert.InRange(n["firstNaNInFloat"], 89, 90);
        Assert.Equal(0.5, n["stableAt1000"], 6);
        Assert.Equal(0, n["stableThirdAt1000"]);
        Assert.Equal(1 / (1 + Math.Exp(-1)), n["stableValue"], 6);
    }

    [Fact]
    public void Shifting_every_logit_changes_no_probability()
    {
        Assert.True(Experiments.ShiftInvariance().Numbers["largestChange"] < 1e-12);
    }

    [Fact]
    public void Log_sum_exp_lies_within_log_n_of_the_max_and_approaches_it()
    {
        var n = Experiments.LogSumExpNearMax().Numbers;
        Assert.Equal(Math.Log(10), n["gapAtSpread0"], 12);
        Assert.True(n["gapAtSpread10"] < 1e-4);
        Assert.Equal(1, n["bounded"]);
    }

    [Fact]
    public void The_log_likelihood_keeps_learning_where_squared_error_stalls()
    {
        var n = Experiments.WhyLogLikelihood().Numbers;
        Assert.True(n["likelihoodGradientAt10"] > 0.9999);
        Assert.True(n["squaredGradientAt10"] < 1e-3);
        Assert.True(n["likelihoodCorrectAfter20"] > 0.99);
        Assert.True(n["squaredCorrectAfter20"] < 1e-6);
    }

    [Fact]
    public void Frequencies_are_matched_and_logits_are_log_frequencies_up_to_a_constant()
    {
        Assert.True(Experiments.FrequencyMatching().Numbers["largestDifference"] < 1e-4);
        Assert.True(Experiments.LogitsAreLogProbabilities().Numbers["largestSpreadOfOffsets"] < 1e-3);
    }

    [Fact]
    public void Outputs_saturate_with_the_gap_and_the_temperature()
    {
        var n = Experiments.Saturation().Numbers;
        Assert.Equal(1 / (1 + Math.Exp(-20) + Math.Exp(-10)), n["topAtGap20"], 6);
        Assert.True(n["topAtTemperature0.05"] > 0.9999);
    }

    [Fact]
    public void Both_parameterizations_reach_one_distribution()
    {
        var n = Experiments.FullVersusReference().Numbers;
        Assert.True(n["objectiveDifference"] < 1e-6);
        Assert.True(n["largestProbabilityDifference"] < 1e-3);
        // Issue 4's claim too: the two-class reference model is logistic regression (fitted independently by Newton).
        Assert.True(n["logisticWeightDifference"] < 1e-3);
    }

    [Fact]
    public void Softmax_approaches_the_one_hot_arg_max_and_its_soft_max_runs_from_mean_to_max()
    {
        var n = Experiments.SoftArgmax().Numbers;
        Assert.True(n["distanceFromOneHotAtT0.01"] < 1e-40);
        Assert.Equal(3, n["smoothMaxAtT0.01"], 6);
        // Near-uniform weights: the mean 1.625 plus Var(z) / T.
        Assert.Equal(1.625 + 0.921875 / 100, n["smoothMaxAtT100"], 3);
    }

    [Fact]
    public void Attention_puts_its_weight_on_the_matching_key()
    {
        var n = Experiments.InsideAModel().Numbers;
        Assert.True(n["weightOfMatchingKey"] > 0.5);
        Assert.Equal(1, n["weightSum"], 12);
        Assert.InRange(n["output"], 20, 30);
    }

    [Theory]
    [InlineData("en", "I did not get this")]
    [InlineData("zh", "没懂")]
    public void The_report_has_every_section_with_its_figure_question_and_number(string language, string question)
    {
        var folder = Directory.CreateTempSubdirectory("multinoulli-explain-");
        try
        {
            string path = ExplainCommand.Write(folder, language, TextWriter.Null);
            string html = File.ReadAllText(path);
            Assert.Contains($"lang=\"{(language == "zh" ? "zh-CN" : "en")}\"", html);
            Assert.Contains(question, html);
            Assert.Equal(Sections.All.Count, html.Split("<section id=").Length - 1);
            Assert.Equal(Sections.All.Count + 1, html.Split("<svg").Length - 1); // section 4 has two figures
            Assert.Equal(Sections.All.Count, html.Split("class=\"measured\"").Length - 1);
            Assert.DoesNotContain("NaN", html.Split("<svg")[0]);
            Assert.DoesNotContain("http", string.Concat(html.Split("<svg").Select(part => part.Split("</svg>")[^1])));
            foreach (var (section, index) in Sections.All.Select((s, i) => (s, i + 1)))
            {
                Assert.Contains($"<section id=\"{section.Key}\">", html);
                Assert.True(File.Exists(Path.Combine(folder.FullName, $"{index:00}-{section.Key}.png")));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
