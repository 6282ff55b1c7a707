using System.CommandLine;
using System.Net;
using System.Text;

namespace Multinoulli.Cli.Explain;

/// <summary><c>multinoulli explain</c>: every claim of the softmax section run as an experiment, in one HTML page.</summary>
public static class ExplainCommand
{
    private const int Width = 640, Height = 400;

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "The folder to write explain.html and the figures into.", DefaultValueFactory = _ => new DirectoryInfo("explain") };
        var language = new Option<string>("--lang") { Description = "en (default) or zh (Chinese, the study note's language).", DefaultValueFactory = _ => "en" };
        language.AcceptOnlyFromAmong("en", "zh");
        var command = new Command("explain", """
            Runs the softmax section's claims as small experiments on the real kernels and trainers (a few seconds,
            fixed seeds) and writes one self-contained explain.html (figures embedded as SVG; no network needed),
            plus each figure as SVG and PNG. Each section states the claim, shows its figure and measured number, and
            answers the study note's question.

            Examples:
              multinoulli explain
              multinoulli explain --lang zh --output explain-zh
            """)
        {
            output, language,
        };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            string lang = parse.GetValue(language)!;
            string path = Write(folder, lang, Console.Error);
            Console.Out.WriteLine(path);
            return 0;
        });
        return command;
    }

    /// <summary>Runs every experiment and writes the report; returns the path of explain.html.</summary>
    public static string Write(DirectoryInfo folder, string language, TextWriter progress)
    {
        folder.Create();
        bool zh = language == "zh";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"").Append(zh ? "zh-CN" : "en").Append("\"><head><meta charset=\"utf-8\"><title>")
            .Append(zh ? "softmax 单元：每个论断的实验" : "The softmax unit, claim by claim").Append("</title><style>")
            .Append("body{font-family:system-ui,'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:760px;margin:2em auto;line-height:1.5;padding:0 1em}")
            .Append("blockquote{color:#b00;border-left:3px solid #b00;margin:0;padding-left:1em}.measured{background:#f3f6fa;padding:.5em 1em}figure{margin:1em 0}svg{max-width:100%;height:auto}")
            .Append("</style></head><body>");
        html.Append("<h1>").Append(zh ? "用于 Multinoulli 输出分布的 softmax 单元：实验与解答" : "The softmax unit for Multinoulli outputs: experiments and answers").Append("</h1>");
        html.Append("<p>").Append(zh
            ? "每一节陈述《深度学习》§6.2.2.3 中的一个论断，用本项目的核函数和训练器运行一个小实验（固定随机种子），给出图和测得的数字，并回答学习笔记中读者的问题。"
            : "Each section states one claim of Deep Learning §6.2.2.3, runs a small experiment on this project's kernels and trainers (fixed seeds), shows its figure and the measured number, and answers the question the study note's reader wrote beside it.").Append("</p>");
        int index = 0;
        foreach (var section in Sections.All)
        {
            index++;
            progress.WriteLine($"explain: {index}/{Sections.All.Count} {section.Title.En}");
            var measured = section.Run();
            var figures = new List<string> { Figure(folder, $"{index:00}-{section.Key}", measured.Figure) };
            if (measured.Second is { } second) figures.Add(Figure(folder, $"{index:00}-{section.Key}-2", second));
            html.Append("<section id=\"").Append(section.Key).Append("\"><h2>").Append(index).Append(". ").Append(E(section.Title.In(language))).Append("</h2>");
            html.Append("<p>").Append(E(section.Claim.In(language))).Append("</p>");
            html.Append("<blockquote>").Append(E(section.Question.In(language))).Append("</blockquote>");
            html.Append("<p>").Append(E(section.Answer.In(language))).Append("</p>");
            foreach (string svg in figures) html.Append("<figure>").Append(svg).Append("</figure>");
            html.Append("<p class=\"measured\">").Append(E(section.Measurement(measured.Numbers).In(language))).Append("</p></section>");
        }
        html.Append("</body></html>");
        string path = Path.Combine(folder.FullName, "explain.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    /// <summary>Saves a figure as SVG and PNG and returns the SVG text to embed.</summary>
    private static string Figure(DirectoryInfo folder, string name, ScottPlot.Plot plot)
    {
        string svg = plot.GetSvgXml(Width, Height);
        File.WriteAllText(Path.Combine(folder.FullName, name + ".svg"), svg);
        plot.SavePng(Path.Combine(folder.FullName, name + ".png"), Width, Height);
        return svg;
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
